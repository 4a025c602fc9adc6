# Turns the file IN into a C source OUT defining
#   const char SYMBOL[];  (NUL-terminated)
#   const unsigned long SYMBOL_len;
file(READ ${IN} hex HEX)
string(REGEX REPLACE "(..)" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\n"
	"const char ${SYMBOL}[] = {${bytes} 0x00};\n"
	"const unsigned long ${SYMBOL}_len = sizeof(${SYMBOL}) - 1;\n")

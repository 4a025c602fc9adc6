package lex

type Token struct {
	Kind  TokenKind
	Value string
}

func (l *Lexer) next() Token {
	token := l.scan()
	l.tokens = append(l.tokens, token)
	return token
}

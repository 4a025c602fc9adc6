#!/usr/bin/env bash
# gen-cproj.sh DIR NFILES: write a small C project of NFILES translation units
# plus a Makefile that builds them into one program (the "make" workload).
set -euo pipefail
dir=$1 n=$2
mkdir -p "$dir/src"
{
	echo '#ifndef PROJ_H'
	echo '#define PROJ_H'
	echo '#include <stddef.h>'
	for ((i = 0; i < n; i++)); do
		echo "long unit_$i(long x);"
	done
	echo '#endif'
} > "$dir/src/proj.h"
for ((i = 0; i < n; i++)); do
	cat > "$dir/src/unit_$i.c" <<EOC
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proj.h"

struct rec_$i { long a, b; char name[32]; };

static long mix_$i(long x)
{
	x ^= x >> 13;
	x *= 0x5bd1e995L + $i;
	return x ^ (x >> 15);
}

static int cmp_$i(const void *p, const void *q)
{
	const struct rec_$i *a = p, *b = q;
	return (a->a > b->a) - (a->a < b->a);
}

long unit_$i(long x)
{
	struct rec_$i r[8];
	for (int k = 0; k < 8; k++) {
		r[k].a = mix_$i(x + k);
		r[k].b = k;
		snprintf(r[k].name, sizeof r[k].name, "u$i-%d", k);
	}
	qsort(r, 8, sizeof r[0], cmp_$i);
	return r[0].a + (long)strlen(r[7].name);
}
EOC
done
{
	echo '#include <stdio.h>'
	echo '#include "proj.h"'
	echo 'int main(void)'
	echo '{'
	echo '	long s = 0;'
	for ((i = 0; i < n; i++)); do
		echo "	s += unit_$i(s);"
	done
	echo '	printf("%ld\n", s);'
	echo '	return 0;'
	echo '}'
} > "$dir/src/main.c"
cat > "$dir/Makefile" <<'EOM'
CC ?= cc
CFLAGS ?= -O2 -Wall
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=obj/%.o)

prog: $(OBJS)
	$(CC) -o $@ $(OBJS)

obj/%.o: src/%.c src/proj.h | obj
	$(CC) $(CFLAGS) -c -o $@ $<

obj:
	mkdir -p obj

clean:
	rm -rf obj prog
.PHONY: clean
EOM

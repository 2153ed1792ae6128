/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A main() for the fuzz targets in ordinary (gcc, non-libFuzzer) builds:
 * feeds every file of the directories (or files) named on the command line
 * to LLVMFuzzerTestOneInput once, in name order. The unit suite uses it to
 * replay the seed corpora and the regression inputs of fixed crashes at unit
 * speed, under ASan in the ASan build. Exit status 0 when every input ran;
 * a crash is the test's failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

enum {
	REPLAY_MAX_INPUT = 1 << 20,
};

static int
run_file(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	fclose(f);
	/* a private copy of exactly n bytes: ASan sees any overread */
	{
		uint8_t *copy = malloc(n > 0 ? n : 1);

		if (copy == NULL)
			return -1;
		memcpy(copy, buf, n);
		LLVMFuzzerTestOneInput(copy, n);
		free(copy);
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	unsigned runs = 0;
	int i, bad = 0;

	if (buf == NULL)
		return 1;
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;
		struct dirent *e;
		char **names = NULL;
		size_t n = 0, k;
		DIR *d;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i], buf) < 0;
			runs++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			char **nn;

			if (e->d_name[0] == '.')
				continue;
			nn = realloc(names, (n + 1) * sizeof(*names));
			if (nn == NULL)
				break;
			names = nn;
			names[n] = malloc(strlen(argv[i]) + strlen(e->d_name) + 2);
			if (names[n] == NULL)
				break;
			sprintf(names[n], "%s/%s", argv[i], e->d_name);
			n++;
		}
		closedir(d);
		if (n > 0)
			qsort(names, n, sizeof(*names), cmp_names);
		for (k = 0; k < n; k++) {
			bad |= run_file(names[k], buf) < 0;
			runs++;
			free(names[k]);
		}
		free(names);
	}
	free(buf);
	printf("replayed %u inputs\n", runs);
	if (runs == 0) {
		fprintf(stderr, "no inputs: an empty replay proves nothing\n");
		return 1;
	}
	return bad;
}

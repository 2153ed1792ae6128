/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer entry point for the configuration loader (lib/conf): the input is
 * a YAML document handed to conf_load_string() as rampartd's reload does with
 * the file's bytes. Relative file paths in it (psk_file, cert and key files)
 * resolve against the current directory. A successful load is freed (and
 * wiped) again; an error must come with a NUL-terminated message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "fuzz_entry.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONF_ERR_LEN];
	struct conf *c = NULL;
	int rc;

	memset(err, 0x5a, sizeof(err));
	rc = conf_load_string((const char *)data, size, "fuzz.yaml", &c, err, sizeof(err));
	if (rc == 0) {
		if (c == NULL)
			abort();
		(void)conf_port_find(c, "public");
		conf_free(c);
	} else if (c != NULL || memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	return 0;
}

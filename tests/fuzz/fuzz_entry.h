/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libFuzzer entry points every harness defines (LLVMFuzzerTestOneInput,
 * and LLVMFuzzerInitialize where it sets something up once), declared once.
 * fuzz_replay.c, which calls them, declares LLVMFuzzerInitialize weak itself.
 */
#ifndef RAMPART_FUZZ_ENTRY_H
#define RAMPART_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

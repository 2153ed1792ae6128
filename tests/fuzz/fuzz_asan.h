/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASan defaults for harnesses that allocate per input (include in the one
 * file of a fuzz binary that defines LLVMFuzzerTestOneInput): small
 * allocation stacks, a 16 MB quarantine and no fill of new blocks. With
 * ASan's own defaults, perf put most of fuzz_ctl's and fuzz_ike's time in
 * the allocator, its stack depot and the page faults of a 256 MB quarantine
 * (1.9x and 1.5x executions per second with these). ASAN_OPTIONS still
 * overrides any of them.
 */
#ifndef RAMPART_FUZZ_ASAN_H
#define RAMPART_FUZZ_ASAN_H

#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_UNDER_ASAN 1
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "malloc_context_size=5:quarantine_size_mb=16:max_malloc_fill_size=0";
}
#endif
#endif

#endif

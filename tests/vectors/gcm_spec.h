/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-GCM known answers with 96-bit IVs, from D. McGrew and J. Viega, "The
 * Galois/Counter Mode of Operation (GCM)", revised submission to NIST, 2005,
 * appendix B: test cases 1-4 (128-bit key) and 13-16 (256-bit key). Cases
 * 5-6, 11-12 and 17-18 use other IV lengths (not used by ESP) and are left
 * out; 7-10 use 192-bit keys, of which 9 and 10 are kept (IPsec-MB has them).
 * Hex strings; the 12-byte IV is split as RFC 4106 uses it: the first 4
 * bytes act as salt, the last 8 as the explicit IV.
 */
#ifndef RAMPART_VEC_GCM_SPEC_H
#define RAMPART_VEC_GCM_SPEC_H

struct vec_gcm {
	const char *name, *key, *iv, *aad, *pt, *ct, *tag;
};

#define GS_K1 "00000000000000000000000000000000"
#define GS_K3 "feffe9928665731c6d6a8f9467308308"
#define GS_IV1 "000000000000000000000000"
#define GS_IV3 "cafebabefacedbaddecaf888"
#define GS_P3 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define GS_P4 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GS_A4 "feedfacedeadbeeffeedfacedeadbeefabaddad2"

static const struct vec_gcm vec_gcm_spec[] = {
	{ "tc1", GS_K1, GS_IV1, "", "", "", "58e2fccefa7e3061367f1d57a4e7455a" },
	{ "tc2", GS_K1, GS_IV1, "", "00000000000000000000000000000000",
	  "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "tc3", GS_K3, GS_IV3, "", GS_P3,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ "tc4", GS_K3, GS_IV3, GS_A4, GS_P4,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "tc9", GS_K3 "feffe9928665731c", GS_IV3, "", GS_P3,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256",
	  "9924a7c8587336bfb118024db8674a14" },
	{ "tc10", GS_K3 "feffe9928665731c", GS_IV3, GS_A4, GS_P4,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
	  "2519498e80f1478f37ba55bd6d27618c" },
	{ "tc13", GS_K1 GS_K1, GS_IV1, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "tc14", GS_K1 GS_K1, GS_IV1, "", "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "tc15", GS_K3 GS_K3, GS_IV3, "", GS_P3,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "tc16", GS_K3 GS_K3, GS_IV3, GS_A4, GS_P4,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 key-derivation known answers (RFC 7296 2.13, 2.14, 2.17, 2.18).
 *
 * Sources:
 * - "nist_sample_sha256" and "nist_sample_sha384": the NIST CAVP SP 800-135
 *   IKEv2 KDF component sample (Ni, Nr, g^ir, g^ir (new), SPIi, SPIr ->
 *   SKEYSEED, DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) of 1056 bits,
 *   SKEYSEED(Rekey)), as reproduced in the NSS test suite (nss-dev/nss
 *   gtests, kIkeSha256ProofVectors / kIkeSha384ProofVectors, entries marked
 *   "from this NIST samples"). Those fields are NIST data.
 * - The child_dkm / child_dkm_dh fields of every case, and the whole
 *   "python_sha512" case (no SHA-512 sample was found), were computed
 *   independently with Python 3's hmac/hashlib modules from the RFC 7296
 *   formulas:
 *     child_dkm    = prf+(SK_d, Ni | Nr), 128 bytes
 *     child_dkm_dh = prf+(SK_d, g^ir (new) | Ni | Nr), 128 bytes
 *   with SK_d = the first PRF-length bytes of dkm. The same script checked
 *   that it reproduces the NIST fields above.
 * All values are lowercase hex strings.
 */
#ifndef RAMPART_TESTS_IKE_KDF_VECTORS_H
#define RAMPART_TESTS_IKE_KDF_VECTORS_H

#include <stdint.h>

struct ike_kdf_vector {
	const char *name;
	uint16_t prf;			/* IANA PRF id */
	const char *ni, *nr, *gir, *gir_new, *spi_i, *spi_r;
	const char *skeyseed;		/* prf(Ni | Nr, g^ir) */
	const char *dkm;		/* prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), 132 bytes */
	const char *child_dkm;		/* prf+(SK_d, Ni | Nr), 128 bytes */
	const char *child_dkm_dh;	/* prf+(SK_d, g^ir (new) | Ni | Nr), 128 bytes */
	const char *skeyseed_rekey;	/* prf(SK_d, g^ir (new) | Ni | Nr) */
};

static const struct ike_kdf_vector ike_kdf_vectors[] = {
	{
		.name = "nist_sample_sha256",
		.prf = 5,
		.ni =
		"3f302be1abcb28e1",
		.nr =
		"8c332ee006064c9b",
		.gir =
		"0f4d257d7a58fc4545c7d7a88119eee5d5c9690c5b4c989171d3abbfd99d1d29",
		.gir_new =
		"25f3b12d6f282739256e39bf54eda53b60ffcf379bb7bcc90c27b4c4c578616c",
		.spi_i =
		"40dac39e1e1a8640",
		.spi_r =
		"8619a1cf9a6e4c07",
		.skeyseed =
		"5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe",
		.dkm =
		"0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ec"
		"e98aca531188d16041b3bb936d2dbb3b4993a6e768a809160de45d0283f273a6"
		"cdf6854379e31be72b8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4"
		"e1c19bdcd4db14b29d98db1a74ad405c588662c14a04d0d36aa4ab55e90f8986"
		"d12d4aad",
		.child_dkm =
		"7d808e2b44635300e7025f1b640c431b13a9b3b891cd45a15261f4f3c4a7e39b"
		"3a3c8017ccc2b74610faf52ba3faf6d9e83c859b448217b24dadc82c9887460b"
		"7bd724236b9885914cc93b39d6c749e92f36b30c9eb6a9f59e396bc7c0ac4878"
		"512639cc612c5660ddb1a1fed360ac8b9b3f548f13482d0431b38eca293ef976",
		.child_dkm_dh =
		"67edd256e64542436173e3ca39ef1fdec3c8240b860df26f84caf5258578ff35"
		"df40ddc31ea210e0523988b7531c9dc3207e0e98e256214999c7712f73ff044a"
		"9cf6e3a5e421862b9ba140862f460ea5236527cf8346db9ac23feb6636e21fc7"
		"a18a94a2e9d4ad95356e278f46ac3fa53a75a058c87293cf38dd863e879f84d0",
		.skeyseed_rekey =
		"2d63f6debc92048b4fef3889c4c99ca67d6496e0fac14a2bca9a2d6566ff2398",
	},
	{
		.name = "nist_sample_sha384",
		.prf = 6,
		.ni =
		"fd1b572a8e735591",
		.nr =
		"6013b0ef88dacd3d",
		.gir =
		"d3288cd87565101e88fe3bad918f31939d8dd26ff1071f8b2d7f447524e58d7c",
		.gir_new =
		"3358f620539473aee8d07e779764c4c6a9aabddc79a28e136b3bac021dbde44a",
		.spi_i =
		"2116ad07ce61f749",
		.spi_r =
		"24880e55f11a65b7",
		.skeyseed =
		"69fe7a1ac94adaeb711295f5fe004b1a8d6a0b65d05692758ce8ad2f7a45f59d"
		"7d0b596f51f7dfcf3330061888f6a94f",
		.dkm =
		"4f904c2025c90c817ea5ff9b662a6fdb445a73b57cdf09eacd379b95e1f03cac"
		"b04cd6deeda4f952191dd9bc1f7a9502471a648d74dc06d38112de48a42501f6"
		"b1a3ad55c2099cd9a648e5f17e5bf3e34bf9b5953decb768a34f875fe2b78dca"
		"0c2fcca81ec1a412006dfaed38fa06882e61f4c148105fb8e231fdb33c4d484c"
		"001721d4",
		.child_dkm =
		"06126cc023ac8aabb3ae1ae2d583005a16d39e889efd09d588f2995883261e55"
		"f44f959072d25ea2f035a64ee8e2341421e7a2d95344282f6ff1f2a9ef236b5e"
		"c7eae4bb1074ce1f206461209c19dc05a61bbc10a5ec0391bdcd1d25831f8d11"
		"99af467359a13cb5f9b11187ad97379469f8a1ff3d612b18f165d32e3b5fc644",
		.child_dkm_dh =
		"e31b1b94e0b2146ae66dfe223ca64ccf0895fb6c8862990b446b80a4a81fd801"
		"ed5fdbcee6e9455c4d56ee10cd73ea77d8c01f31d4e2fcc9d65765327e13f497"
		"f631ba09d99b39aff2ffa9082c59334a9eb082f795cde78989b1be547fde560e"
		"b49d5b262e86ef2e2094eab785008e3038dd7bb0d4ac7dac6f99d9c7945950f2",
		.skeyseed_rekey =
		"e0548c1682e13bce454026b3b1bdf42985b24e4e7408095a7c529de38c3d1fcb"
		"04c9fe6868042a34c9614c6c99e3fcea",
	},
	{
		.name = "python_sha512",
		.prf = 7,
		.ni =
		"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f",
		.nr =
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
		.gir =
		"030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dc"
		"e3eaf1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bc",
		.gir_new =
		"05121f2c394653606d7a8794a1aebbc8d5e2effc091623303d4a5764717e8b98"
		"a5b2bfccd9e6f3000d1a2734414e5b6875828f9ca9b6c3d0ddeaf704111e2b38",
		.spi_i =
		"0102030405060708",
		.spi_r =
		"a1a2a3a4a5a6a7a8",
		.skeyseed =
		"38584e7ebf2380b51665359f851a11cb73852c18cb444e35ff452c465d04a046"
		"ced653788f762bbfe1bc4218cb7fd0ef9803cc08b2f24ba267f0bae8009ce4a1",
		.dkm =
		"3e03cfc91340b49d3ba74b040fb29d6fa98362cd10de24e93b4e93c9f09e34fd"
		"b028bede17e3fa4af53923365b4893416391f0d984962a457d34e245eb2ec5ea"
		"7bae42779ee4e46baafb650dc21a30380a0b9e8d71abed00d4ec57f987d42be4"
		"1c03f4e7403e145c0c2c7dd10588c1cff5b5971f1f849b4001ea4fbb40efb06b"
		"4d26c865",
		.child_dkm =
		"ddcf0e295ec3c5de6ec61deb3344981f7395c9bb39f49b304df54b9d98838a58"
		"aad8b51347e4a7521d448c88fee360166992af24986abdb868327065f0e0b62b"
		"63da6c900183251f00cad30563434f6b7a4182df4baf8f140deb2d721d4aec0b"
		"1c0df8f5abccbfcaaeaa7e81d4420c1004676d01e153ddc5350aa0ef07b168c7",
		.child_dkm_dh =
		"dbf50f419c579713aa29c0f538e1ca14d9a0f685321c6350cc43d209dd45cd7d"
		"609c798a0dfe2e72f5d07d753873d607102580a33b7ffbb51840191d80d0b8c1"
		"e5877dfabfdb1312400cbaef7155f6dee32d60dc46ec348fdd3ccfa5b66b1f8a"
		"43062c05d77218a2c4336fc2616690fed50d09b01eafd717f6fe3d8ade559bcc",
		.skeyseed_rekey =
		"0e0303faf1ca8d6b8d290d938137773f3728c5cd4680678f0c0ab769c4fdef05"
		"9df4d50d39ee4fedc82fb12d901017093dc8f394d9faec21ec354efb9aad7485",
	},
};

#endif

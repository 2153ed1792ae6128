/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Diffie-Hellman known answers for IKEv2 KE payloads.
 *
 * Sources:
 * - ECP groups 19, 20, 21: RFC 5903 section 8 (8.1 256-bit, 8.2 384-bit,
 *   8.3 521-bit random ECP group): private values i and r, public values
 *   g^i = gix || giy and g^r = grx || gry (the KE payload data, RFC 5903 7),
 *   and the shared secret g^ir = girx (x only).
 * - Group 31 (curve25519): RFC 7748 section 6.1 (Alice = initiator,
 *   Bob = responder), as used by IKEv2 per RFC 8031.
 * All values are lowercase hex strings.
 */
#ifndef RAMPART_TESTS_IKE_DH_VECTORS_H
#define RAMPART_TESTS_IKE_DH_VECTORS_H

#include <stdint.h>

struct ike_dh_vector {
	const char *name;
	uint16_t group;		/* IANA DH group */
	const char *i;		/* initiator private value */
	const char *gi;		/* initiator KE data */
	const char *r;		/* responder private value */
	const char *gr;		/* responder KE data */
	const char *gir;	/* shared secret */
};

static const struct ike_dh_vector ike_dh_vectors[] = {
	{
		.name = "rfc5903_8_1_ecp256",
		.group = 19,
		.i = "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
		.gi = "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
		      "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
		.r = "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
		.gr = "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
		      "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
		.gir = "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
	},
	{
		.name = "rfc5903_8_2_ecp384",
		.group = 20,
		.i = "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655"
		     "e35b538041e649ee3faef896783ab194",
		.gi = "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6"
		      "de3ac808acb4bdb4c88732aee95f41aa"
		      "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38e"
		      "eb9fcff3c2c947dae69b4c634573a81c",
		.r = "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942"
		     "e0308312916b8ed2960e4bd55a7448fc",
		.gr = "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d"
		      "0d1ac43a0336def96fda41d0774a3571"
		      "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1ff"
		      "f83fa40142209dff5eaad96db9e6386c",
		.gir = "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4"
		       "d603135569b9e9d09cf5d4a270f59746",
	},
	{
		.name = "rfc5903_8_3_ecp521",
		.group = 21,
		.i = "0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a0"
		     "95aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d"
		     "4a52",
		.gi = "0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbe"
		      "e1e3bf42e00b8e380aeae57c2d107564941885942af5a7f4601723c4195d176c"
		      "ed3e"
		      "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10a"
		      "d8a788015ac405d7799dc75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f"
		      "9582",
		.r = "0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e"
		     "9c677d600b343757a3bdbf2a3163e4c2f869cca7458aa4a4effc311f5cb15168"
		     "5eb9",
		.gr = "00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a21"
		      "9b97c356436adc6e95bb0352f6be64a6c2912d4ef2d0433ced2b6171640012d9"
		      "460f"
		      "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87"
		      "220b6536c5c408a1d2aebb8e86d678ae49cb57091f4732296579ab44fcd17f0f"
		      "c56a",
		.gir = "01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04"
		       "d1427e73ca4baa240a34786859810c06b3c715a3a8cc3151f2bee417996d19f3"
		       "ddea",
	},
	{
		.name = "rfc7748_6_1_x25519",
		.group = 31,
		.i = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		.gi = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		.r = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		.gr = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		.gir = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
	},
};

#endif

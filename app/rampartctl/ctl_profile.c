/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartctl client-profile: one connection's proposals, gateway identity,
 * authentication and CA turned into what each OS's IKEv2 client imports.
 *
 * The proposals come from the connection's own list (strongSwan syntax, as
 * rampart.yaml has them): for each OS the first IKE and the first ESP
 * proposal, in the connection's order of preference, that the OS's client
 * can express is chosen, so the profile never asks for something rampartd
 * refuses. No secret is ever in the input (rampartd does not send its PSK):
 * PSK profiles carry a placeholder the administrator fills in.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_profile.h"

/* One proposal string, parsed (only what a client profile needs). */
struct prop {
	bool gcm;		/* AES-GCM-16, else AES-CBC */
	unsigned key_bits;	/* 128, 192, 256 */
	unsigned integ;		/* CBC: HMAC-SHA hash bits (1 = SHA1, 256, 384, 512) */
	unsigned prf;		/* IKE: PRF hash bits (1 = SHA1) */
	unsigned dh;		/* IANA group, 0 = none */
	bool esn_only;		/* "esn" without "noesn" */
	const char *text;
};

static bool
prop_parse(const char *s, struct prop *p)
{
	char buf[128], *tok, *save = NULL;
	bool esn = false, noesn = false;

	memset(p, 0, sizeof(*p));
	p->text = s;
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	for (tok = strtok_r(buf, "-", &save); tok != NULL; tok = strtok_r(NULL, "-", &save)) {
		unsigned bits;
		char rest[16];

		if (sscanf(tok, "aes%u%15s", &bits, rest) == 2 &&
		    (strcmp(rest, "gcm16") == 0 || strcmp(rest, "gcm") == 0 ||
		     strcmp(rest, "gcm128") == 0)) {
			p->gcm = true;
			p->key_bits = bits;
		} else if (sscanf(tok, "aes%u%15s", &bits, rest) == 1) {
			p->key_bits = bits;
		} else if (strncmp(tok, "prfsha", 6) == 0) {
			p->prf = (unsigned)atoi(tok + 6);
		} else if (strcmp(tok, "sha1") == 0) {
			p->integ = 1;
		} else if (strncmp(tok, "sha", 3) == 0 && isdigit((unsigned char)tok[3])) {
			p->integ = (unsigned)atoi(tok + 3);	/* sha256, sha256_128, ... */
		} else if (strcmp(tok, "modp2048") == 0) {
			p->dh = 14;
		} else if (strcmp(tok, "modp3072") == 0) {
			p->dh = 15;
		} else if (strcmp(tok, "ecp256") == 0) {
			p->dh = 19;
		} else if (strcmp(tok, "ecp384") == 0) {
			p->dh = 20;
		} else if (strcmp(tok, "ecp521") == 0) {
			p->dh = 21;
		} else if (strcmp(tok, "curve25519") == 0 || strcmp(tok, "x25519") == 0) {
			p->dh = 31;
		} else if (strcmp(tok, "esn") == 0) {
			esn = true;
		} else if (strcmp(tok, "noesn") == 0) {
			noesn = true;
		} else {
			return false;
		}
	}
	if (p->key_bits != 128 && p->key_bits != 192 && p->key_bits != 256)
		return false;
	if (p->prf == 1)
		p->prf = 0;
	if (p->prf == 0 && !p->gcm)
		p->prf = p->integ;	/* strongSwan: no prf given = the integrity hash */
	p->esn_only = esn && !noesn;
	return true;
}

/* OS capabilities (what each client can be configured to propose). */
struct os_caps {
	bool gcm192;		/* AES-GCM with 192-bit keys */
	bool cbc192;
	bool integ[5];		/* sha1, 256, 384, 512 at index 0..3 */
	bool esp_integ[5];	/* the same for ESP with AES-CBC */
	bool ike_gcm;		/* AES-GCM for the IKE SA */
	bool prf_is_integ;	/* CBC IKE: one hash for PRF and integrity */
	const unsigned *dh;	/* allowed groups, 0-terminated */
	bool esp_dh_any;	/* any listed group for PFS */
	/* for the refusal: the OS's name, what it takes for IKE and for ESP */
	const char *os, *ike_hint, *esp_hint;
};

static int
hidx(unsigned h)
{
	return h == 1 ? 0 : h == 256 ? 1 : h == 384 ? 2 : h == 512 ? 3 : 4;
}

static bool
dh_ok(const struct os_caps *c, unsigned dh)
{
	const unsigned *d;

	for (d = c->dh; *d; d++)
		if (*d == dh)
			return true;
	return false;
}

static bool
fits(const struct os_caps *c, const struct prop *p, bool ike)
{
	if (p->key_bits == 192 && !(p->gcm ? c->gcm192 : c->cbc192))
		return false;
	if (!p->gcm && !c->integ[hidx(p->integ)])
		return false;
	if (ike) {
		if (p->gcm && !c->ike_gcm)
			return false;
		if (p->dh == 0 || !dh_ok(c, p->dh) || !c->integ[hidx(p->prf)])
			return false;
		if (!p->gcm && c->prf_is_integ && p->prf != p->integ)
			return false;
		return true;
	}
	if (p->esn_only)
		return false;		/* none of these clients does ESN */
	if (!p->gcm && !c->esp_integ[hidx(p->integ)])
		return false;
	return p->dh == 0 || dh_ok(c, p->dh);
}

/* First proposal of @list (conn order) that @c can express; -1 none. */
static int
pick(const json_t *list, const struct os_caps *c, bool ike, struct prop *out)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || !prop_parse(json_string_value(v), out))
			continue;
		if (fits(c, out, ike))
			return (int)i;
	}
	return -1;
}

static const unsigned win_groups[] = { 14, 19, 20, 0 };
static const unsigned apple_groups[] = { 14, 15, 19, 20, 21, 31, 0 };
static const unsigned any_groups[] = { 14, 15, 19, 20, 21, 31, 0 };

static const struct os_caps caps_windows = {
	.gcm192 = false, .cbc192 = true, .integ = { true, true, true, false, false },
	.esp_integ = { true, true, false, false, false }, .ike_gcm = true, .prf_is_integ = true, .dh = win_groups,
	.os = "Windows", .ike_hint = "AES-CBC/GCM 128/256, SHA1/SHA256/SHA384, DH 14, 19 or 20",
	.esp_hint = "AES-CBC with SHA1/SHA256 or AES-GCM 128/256, no ESN-only",
};
static const struct os_caps caps_apple = {
	.gcm192 = false, .cbc192 = false, .integ = { true, true, true, true, false },
	.esp_integ = { true, true, true, true, false }, .ike_gcm = true, .prf_is_integ = true, .dh = apple_groups,
	.os = "macOS/iOS",
	.ike_hint = "AES-128/256 CBC or GCM, SHA1/SHA2, DH 14, 15, 19, 20, 21, 31",
	.esp_hint = "AES-128/256 CBC or GCM, no ESN-only",
};
static const struct os_caps caps_strongswan = {
	.gcm192 = true, .cbc192 = true, .integ = { true, true, true, true, false },
	.esp_integ = { true, true, true, true, false }, .ike_gcm = true, .prf_is_integ = false, .dh = any_groups,
};

/* The IKE and the ESP proposal of connection @name for OS @c; -1 with the
 * reason in @err when it can use none. */
static int
pick_both(const json_t *info, const struct os_caps *c, const char *name, struct prop *ike,
	  struct prop *esp, char *err, size_t err_len)
{
	if (pick(json_object_get(info, "ike"), c, true, ike) < 0) {
		snprintf(err, err_len, "no IKE proposal of connection %s that %s can use (%s)", name,
			 c->os, c->ike_hint);
		return -1;
	}
	if (pick(json_object_get(info, "esp"), c, false, esp) < 0) {
		snprintf(err, err_len, "no ESP proposal of connection %s that %s can use (%s)", name,
			 c->os, c->esp_hint);
		return -1;
	}
	return 0;
}

/* The IKE and the ESP proposal of connection @name for a strongSwan-based
 * client (@who); -1 with the reason in @err when it can use none. */
static int
pick_strongswan(const json_t *info, const char *name, const char *who, struct prop *ike,
		struct prop *esp, char *err, size_t err_len)
{
	if (pick(json_object_get(info, "ike"), &caps_strongswan, true, ike) < 0 ||
	    pick(json_object_get(info, "esp"), &caps_strongswan, false, esp) < 0) {
		snprintf(err, err_len, "connection %s has no IKE/ESP proposal %s can use", name,
			 who);
		return -1;
	}
	return 0;
}

/* ---- helpers ---- */

static const char *
jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *
gw_id(const json_t *info, const char **type)
{
	const json_t *id = json_object_get(info, "local_id");

	*type = jstr(id, "type");
	return jstr(id, "value");
}

/* The address or name the client dials. */
static const char *
server_of(const json_t *info, const struct ctl_profile_opt *o)
{
	const char *t, *v = gw_id(info, &t);

	if (o->server != NULL)
		return o->server;
	if (v != NULL && t != NULL && strcmp(t, "fqdn") == 0)
		return v;
	return jstr(info, "gateway");
}

/* XML / PowerShell-safe: only printable ASCII without quotes or markup. */
static bool
safe(const char *s)
{
	for (; s != NULL && *s; s++)
		if (*s < 0x20 || *s > 0x7e || strchr("\"'<>&`$\\", *s) != NULL)
			return false;
	return s != NULL;
}

static void
rnd_uuid(char out[37])
{
	uint8_t b[16];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t n = f != NULL ? fread(b, 1, sizeof(b), f) : 0;
	unsigned i;

	if (f != NULL)
		fclose(f);
	for (i = (unsigned)n; i < 16; i++)
		b[i] = (uint8_t)rand();
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static void
rnd_uuid_lower(char out[37])
{
	unsigned i;

	rnd_uuid(out);
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
}

/* The base64 body of the first certificate in @pem (DER, base64) into @out. */
static bool
pem_body(const char *pem, char *out, size_t cap, bool one_line)
{
	const char *b = pem != NULL ? strstr(pem, "-----BEGIN CERTIFICATE-----") : NULL;
	const char *e;
	size_t n = 0;

	if (b == NULL)
		return false;
	b = strchr(b, '\n');
	e = b != NULL ? strstr(b, "-----END CERTIFICATE-----") : NULL;
	if (e == NULL)
		return false;
	for (; b < e; b++) {
		if (one_line && (*b == '\n' || *b == '\r'))
			continue;
		if (n + 1 >= cap)
			return false;
		out[n++] = *b;
	}
	out[n] = '\0';
	return n > 0;
}

static unsigned
ts_count(const json_t *info, bool *full)
{
	const json_t *ts = json_object_get(info, "local_ts");
	size_t i;
	json_t *v;

	*full = false;
	json_array_foreach(ts, i, v)
		if (json_is_string(v) && (strcmp(json_string_value(v), "0.0.0.0/0") == 0 ||
					  strcmp(json_string_value(v), "::/0") == 0))
			*full = true;
	return (unsigned)json_array_size(ts);
}

/* ---- Windows: PowerShell ---- */

static const char *
win_cipher(const struct prop *p)
{
	if (p->gcm)
		return p->key_bits == 128 ? "GCMAES128" : "GCMAES256";
	return p->key_bits == 128 ? "AES128" : p->key_bits == 192 ? "AES192" : "AES256";
}

static const char *
win_hash(unsigned h)
{
	return h == 1 ? "SHA1" : h == 256 ? "SHA256" : "SHA384";
}

static const char *
win_auth_transform(const struct prop *p)
{
	if (p->gcm)
		return win_cipher(p);
	return p->integ == 1 ? "SHA196" : "SHA256128";
}

static const char *
win_dh(unsigned g)
{
	return g == 14 ? "Group14" : g == 19 ? "ECP256" : "ECP384";
}

static const char *
win_pfs(unsigned g)
{
	return g == 0 ? "None" : g == 14 ? "PFS2048" : g == 19 ? "ECP256" : "ECP384";
}

static int
write_windows(const json_t *info, const struct ctl_profile_opt *o, FILE *out, char *err,
	      size_t err_len)
{
	const char *name = jstr(info, "name"), *ra = jstr(info, "remote_auth");
	const char *server = server_of(info, o), *ca = jstr(info, "ca_pem");
	struct prop ike, esp;
	const json_t *ts = json_object_get(info, "local_ts");
	bool full;
	size_t i;
	json_t *v;

	if (jstr(info, "remote_auth2") != NULL) {
		snprintf(err, err_len, "connection %s requires two authentication rounds (RFC "
			 "4739), which Windows' built-in IKEv2 client does not offer: use a "
			 "connection with one round for Windows clients", name);
		return -1;
	}
	if (ra != NULL && strcmp(ra, "psk") == 0) {
		snprintf(err, err_len, "Windows' built-in IKEv2 client cannot authenticate with a "
			 "PSK (Add-VpnConnection offers EAP or machine certificates): set "
			 "remote_auth to eap or pubkey for this connection");
		return -1;
	}
	if (pick_both(info, &caps_windows, name, &ike, &esp, err, err_len) < 0)
		return -1;
	fprintf(out, "# Rampart: IKEv2 connection \"%s\" for Windows 10/11 (PowerShell as "
		"Administrator)\n", name);
	fprintf(out, "# generated by rampartctl client-profile from the running configuration\n");
	fprintf(out, "# IKE proposal used: %s; ESP proposal used: %s\n", ike.text, esp.text);
	fprintf(out, "$ErrorActionPreference = 'Stop'\n");
	if (ca != NULL) {
		char body[8192];

		if (pem_body(ca, body, sizeof(body), false)) {
			fprintf(out, "# the CA that signed the gateway's certificate\n");
			fprintf(out, "$ca = Join-Path $env:TEMP 'rampart-%s-ca.cer'\n", name);
			fprintf(out, "@'\n-----BEGIN CERTIFICATE-----%s-----END CERTIFICATE-----\n"
				"'@ | Set-Content -Path $ca -Encoding ascii\n", body);
			fprintf(out, "Import-Certificate -FilePath $ca -CertStoreLocation "
				"Cert:\\LocalMachine\\Root | Out-Null\n");
		}
	}
	ts_count(info, &full);
	fprintf(out, "Add-VpnConnection -Name '%s' -ServerAddress '%s' -TunnelType Ikev2 "
		"-EncryptionLevel Required -AuthenticationMethod %s%s -RememberCredential "
		"-Force\n", name, server,
		ra != NULL && strcmp(ra, "eap") == 0 ? "Eap" : "MachineCertificate",
		full ? "" : " -SplitTunneling");
	fprintf(out, "Set-VpnConnectionIPsecConfiguration -ConnectionName '%s' "
		"-AuthenticationTransformConstants %s -CipherTransformConstants %s "
		"-EncryptionMethod %s -IntegrityCheckMethod %s -DHGroup %s -PfsGroup %s -Force\n",
		name, win_auth_transform(&esp), win_cipher(&esp), win_cipher(&ike),
		win_hash(ike.prf), win_dh(ike.dh), win_pfs(esp.dh));
	if (!full)
		json_array_foreach(ts, i, v) {
			char pfx[64], *b;

			if (!json_is_string(v))
				continue;
			snprintf(pfx, sizeof(pfx), "%s", json_string_value(v));
			b = strchr(pfx, '[');
			if (b != NULL)
				*b = '\0';	/* routes carry no ports (the gateway enforces them) */
			fprintf(out, "Add-VpnConnectionRoute -ConnectionName '%s' "
				"-DestinationPrefix '%s'\n", name, pfx);
		}
	return 0;
}

/* ---- Apple: .mobileconfig ---- */

static const char *
apple_enc(const struct prop *p)
{
	if (p->gcm)
		return p->key_bits == 128 ? "AES-128-GCM" : "AES-256-GCM";
	return p->key_bits == 128 ? "AES-128" : "AES-256";
}

static const char *
apple_integ(unsigned h)
{
	return h == 1 ? "SHA1-96" : h == 256 ? "SHA2-256" : h == 384 ? "SHA2-384" : "SHA2-512";
}

static void
apple_sa(FILE *out, const char *key, const struct prop *p, unsigned hash, unsigned dh,
	 unsigned life_min)
{
	fprintf(out, "\t\t\t\t<key>%s</key>\n\t\t\t\t<dict>\n", key);
	fprintf(out, "\t\t\t\t\t<key>EncryptionAlgorithm</key>\n\t\t\t\t\t<string>%s</string>\n",
		apple_enc(p));
	fprintf(out, "\t\t\t\t\t<key>IntegrityAlgorithm</key>\n\t\t\t\t\t<string>%s</string>\n",
		apple_integ(hash));
	fprintf(out, "\t\t\t\t\t<key>DiffieHellmanGroup</key>\n\t\t\t\t\t<integer>%u</integer>\n",
		dh);
	fprintf(out, "\t\t\t\t\t<key>LifeTimeInMinutes</key>\n\t\t\t\t\t<integer>%u</integer>\n",
		life_min);
	fprintf(out, "\t\t\t\t</dict>\n");
}

static unsigned
minutes(const json_t *info, const char *k, unsigned dflt)
{
	json_int_t s = json_integer_value(json_object_get(info, k));
	unsigned m = s > 0 ? (unsigned)(s / 60) : dflt;

	/* Apple accepts 10..1440 minutes */
	return m < 10 ? 10 : m > 1440 ? 1440 : m;
}

static int
write_apple(const json_t *info, const struct ctl_profile_opt *o, FILE *out, char *err,
	    size_t err_len)
{
	const char *name = jstr(info, "name"), *ra = jstr(info, "remote_auth");
	const char *server = server_of(info, o), *ca = jstr(info, "ca_pem"), *idt;
	const char *rid = gw_id(info, &idt);
	char u_vpn[37], u_ca[37], u_top[37], body[8192];
	bool eap = ra != NULL && strcmp(ra, "eap") == 0, psk = ra != NULL && strcmp(ra, "psk") == 0;
	bool has_ca = ca != NULL && pem_body(ca, body, sizeof(body), false);
	/* RFC 4739 (certificate or PSK, then EAP): Apple's ExtendedAuthEnabled on top
	 * of the first round's method */
	bool two = jstr(info, "remote_auth2") != NULL;
	struct prop ike, esp;
	json_int_t dpd = json_integer_value(json_object_get(info, "dpd_s"));

	if (pick_both(info, &caps_apple, name, &ike, &esp, err, err_len) < 0)
		return -1;
	if (rid == NULL || !safe(rid)) {
		snprintf(err, err_len, "connection %s: the gateway identity must be an FQDN or "
			 "address for Apple's RemoteIdentifier", name);
		return -1;
	}
	rnd_uuid(u_vpn);
	rnd_uuid(u_ca);
	rnd_uuid(u_top);
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
		"\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
		"<plist version=\"1.0\">\n<dict>\n");
	fprintf(out, "\t<!-- Rampart: IKEv2 connection %s; IKE %s, ESP %s -->\n", name, ike.text,
		esp.text);
	fprintf(out, "\t<key>PayloadContent</key>\n\t<array>\n");
	if (has_ca) {
		fprintf(out, "\t\t<dict>\n"
			"\t\t\t<key>PayloadType</key>\n\t\t\t<string>com.apple.security.root</string>\n"
			"\t\t\t<key>PayloadVersion</key>\n\t\t\t<integer>1</integer>\n"
			"\t\t\t<key>PayloadIdentifier</key>\n\t\t\t<string>rampart.%s.ca</string>\n"
			"\t\t\t<key>PayloadUUID</key>\n\t\t\t<string>%s</string>\n"
			"\t\t\t<key>PayloadDisplayName</key>\n\t\t\t<string>Rampart CA (%s)</string>\n"
			"\t\t\t<key>PayloadContent</key>\n\t\t\t<data>%s</data>\n"
			"\t\t</dict>\n", name, u_ca, name, body);
	}
	fprintf(out, "\t\t<dict>\n"
		"\t\t\t<key>PayloadType</key>\n\t\t\t<string>com.apple.vpn.managed</string>\n"
		"\t\t\t<key>PayloadVersion</key>\n\t\t\t<integer>1</integer>\n"
		"\t\t\t<key>PayloadIdentifier</key>\n\t\t\t<string>rampart.%s.vpn</string>\n"
		"\t\t\t<key>PayloadUUID</key>\n\t\t\t<string>%s</string>\n"
		"\t\t\t<key>PayloadDisplayName</key>\n\t\t\t<string>Rampart %s</string>\n"
		"\t\t\t<key>UserDefinedName</key>\n\t\t\t<string>%s</string>\n"
		"\t\t\t<key>VPNType</key>\n\t\t\t<string>IKEv2</string>\n"
		"\t\t\t<key>IKEv2</key>\n\t\t\t<dict>\n", name, u_vpn, name, name);
	fprintf(out, "\t\t\t\t<key>RemoteAddress</key>\n\t\t\t\t<string>%s</string>\n", server);
	fprintf(out, "\t\t\t\t<key>RemoteIdentifier</key>\n\t\t\t\t<string>%s</string>\n", rid);
	fprintf(out, "\t\t\t\t<key>LocalIdentifier</key>\n\t\t\t\t<string>%s</string>\n",
		o->user != NULL ? o->user : "REPLACE-WITH-CLIENT-IDENTITY");
	if (psk) {
		fprintf(out, "\t\t\t\t<key>AuthenticationMethod</key>\n"
			"\t\t\t\t<string>SharedSecret</string>\n"
			"\t\t\t\t<key>SharedSecret</key>\n"
			"\t\t\t\t<string>REPLACE-WITH-PSK</string>\n");
	} else if (eap && !two) {
		fprintf(out, "\t\t\t\t<key>AuthenticationMethod</key>\n\t\t\t\t<string>None</string>\n"
			"\t\t\t\t<key>ExtendedAuthEnabled</key>\n\t\t\t\t<integer>1</integer>\n"
			"\t\t\t\t<key>AuthName</key>\n\t\t\t\t<string>%s</string>\n",
			o->user != NULL ? o->user : "REPLACE-WITH-USER");
	} else {
		fprintf(out, "\t\t\t\t<key>AuthenticationMethod</key>\n"
			"\t\t\t\t<string>Certificate</string>\n");
	}
	if (two)
		fprintf(out, "\t\t\t\t<key>ExtendedAuthEnabled</key>\n\t\t\t\t<integer>1</integer>\n"
			"\t\t\t\t<key>AuthName</key>\n\t\t\t\t<string>%s</string>\n",
			o->user != NULL ? o->user : "REPLACE-WITH-USER");
	if (!psk && has_ca)
		fprintf(out, "\t\t\t\t<key>ServerCertificateIssuerCommonName</key>\n"
			"\t\t\t\t<string>REPLACE-WITH-CA-COMMON-NAME</string>\n");
	apple_sa(out, "IKESecurityAssociationParameters", &ike, ike.prf, ike.dh,
		 minutes(info, "ike_lifetime_s", 1440));
	apple_sa(out, "ChildSecurityAssociationParameters", &esp, esp.gcm ? 256 : esp.integ,
		 esp.dh ? esp.dh : ike.dh, minutes(info, "child_lifetime_s", 60));
	fprintf(out, "\t\t\t\t<key>EnablePFS</key>\n\t\t\t\t<integer>%d</integer>\n",
		esp.dh != 0);
	fprintf(out, "\t\t\t\t<key>DisableMOBIKE</key>\n\t\t\t\t<integer>%d</integer>\n",
		!json_is_true(json_object_get(info, "mobike")));
	fprintf(out, "\t\t\t\t<key>DeadPeerDetectionRate</key>\n\t\t\t\t<string>%s</string>\n",
		dpd > 0 && dpd <= 60 ? "High" : dpd > 0 && dpd <= 600 ? "Medium" : "Low");
	fprintf(out, "\t\t\t\t<key>UseConfigurationAttributeInternalIPSubnet</key>\n"
		"\t\t\t\t<integer>0</integer>\n");
	fprintf(out, "\t\t\t</dict>\n\t\t</dict>\n\t</array>\n");
	fprintf(out, "\t<key>PayloadType</key>\n\t<string>Configuration</string>\n"
		"\t<key>PayloadVersion</key>\n\t<integer>1</integer>\n"
		"\t<key>PayloadIdentifier</key>\n\t<string>rampart.%s</string>\n"
		"\t<key>PayloadUUID</key>\n\t<string>%s</string>\n"
		"\t<key>PayloadDisplayName</key>\n\t<string>Rampart VPN (%s)</string>\n"
		"</dict>\n</plist>\n", name, u_top, name);
	return 0;
}

/* ---- strongSwan: Android .sswan (JSON), NetworkManager keyfile ---- */

static int
write_android(const json_t *info, const struct ctl_profile_opt *o, FILE *out, char *err,
	      size_t err_len)
{
	const char *name = jstr(info, "name"), *ra = jstr(info, "remote_auth"), *idt;
	const char *rid = gw_id(info, &idt), *ca = jstr(info, "ca_pem");
	struct prop ike, esp;
	char u[37], body[8192];
	json_t *j, *remote, *local, *sub;
	const json_t *ts = json_object_get(info, "local_ts");
	bool full, two;
	size_t i;
	json_t *v;
	char *text;

	if (ra != NULL && strcmp(ra, "psk") == 0) {
		snprintf(err, err_len, "the strongSwan app for Android does not offer PSK client "
			 "authentication: set remote_auth to eap or pubkey for this connection");
		return -1;
	}
	two = jstr(info, "remote_auth2") != NULL;	/* RFC 4739: certificate, then EAP */
	if (pick_strongswan(info, name, "the strongSwan app", &ike, &esp, err, err_len) < 0)
		return -1;
	rnd_uuid_lower(u);
	remote = json_pack("{ss}", "addr", server_of(info, o));
	if (rid != NULL)
		json_object_set_new(remote, "id", json_string(rid));
	if (ca != NULL && pem_body(ca, body, sizeof(body), true))
		json_object_set_new(remote, "cert", json_string(body));
	local = json_object();
	if (o->user != NULL)
		json_object_set_new(local, "eap_id", json_string(o->user));
	j = json_pack("{ss ss ss so so ss ss}", "uuid", u, "name", name, "type",
		      two ? "ikev2-cert-eap" : ra != NULL && strcmp(ra, "eap") == 0 ? "ikev2-eap" :
		      "ikev2-cert",
		      "remote", remote, "local", local, "ike-proposal", ike.text,
		      "esp-proposal", esp.text);
	ts_count(info, &full);
	if (!full && json_array_size(ts) > 0) {
		char list[1024] = "";
		size_t n = 0;

		json_array_foreach(ts, i, v) {
			char pfx[64], *b;

			snprintf(pfx, sizeof(pfx), "%s", json_string_value(v));
			b = strchr(pfx, '[');
			if (b != NULL)
				*b = '\0';
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? " " : "", pfx);
			if (n >= sizeof(list))
				break;
		}
		sub = json_pack("{ss}", "subnets", list);
		json_object_set_new(j, "split-tunneling", sub);
	}
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (text == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}

static int
write_linux(const json_t *info, const struct ctl_profile_opt *o, FILE *out, char *err,
	    size_t err_len)
{
	const char *name = jstr(info, "name"), *ra = jstr(info, "remote_auth"), *idt;
	const char *rid = gw_id(info, &idt);
	struct prop ike, esp;
	char u[37];
	const char *method = ra == NULL ? "key" : strcmp(ra, "psk") == 0 ? "psk" :
			     strcmp(ra, "eap") == 0 ? "eap" : "key";

	if (jstr(info, "remote_auth2") != NULL) {
		snprintf(err, err_len, "connection %s requires two authentication rounds (RFC "
			 "4739), which NetworkManager-strongswan's methods do not offer: use "
			 "--os android or a swanctl.conf with local-1 and local-2 sections", name);
		return -1;
	}
	if (pick_strongswan(info, name, "NetworkManager-strongswan", &ike, &esp, err, err_len) < 0)
		return -1;
	rnd_uuid_lower(u);
	fprintf(out, "# Rampart: IKEv2 connection %s for NetworkManager-strongswan\n", name);
	fprintf(out, "# install as /etc/NetworkManager/system-connections/rampart-%s.nmconnection "
		"(mode 0600), then: nmcli connection reload\n", name);
	fprintf(out, "[connection]\nid=rampart-%s\nuuid=%s\ntype=vpn\nautoconnect=false\n\n",
		name, u);
	fprintf(out, "[vpn]\nservice-type=org.freedesktop.NetworkManager.strongswan\n");
	fprintf(out, "address=%s\n", server_of(info, o));
	fprintf(out, "method=%s\n", method);
	if (rid != NULL)
		fprintf(out, "remote-identity=%s\n", rid);
	if (strcmp(method, "key") == 0)
		fprintf(out, "usercert=/etc/ipsec.d/certs/REPLACE-client.pem\n"
			"userkey=/etc/ipsec.d/private/REPLACE-client.key\n");
	else
		fprintf(out, "user=%s\n", o->user != NULL ? o->user : "REPLACE-WITH-USER");
	if (jstr(info, "ca_pem") != NULL)
		fprintf(out, "certificate=/etc/ipsec.d/cacerts/rampart-%s-ca.pem\n", name);
	fprintf(out, "virtual=yes\nencap=no\nipcomp=no\nproposal=yes\nike=%s\nesp=%s\n", ike.text,
		esp.text);
	if (strcmp(method, "key") != 0)
		fprintf(out, "password-flags=%d\n", strcmp(method, "psk") == 0 ? 0 : 2);
	fprintf(out, "\n");
	if (strcmp(method, "psk") == 0)
		fprintf(out, "[vpn-secrets]\npassword=REPLACE-WITH-PSK\n\n");
	fprintf(out, "[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\naddr-gen-mode=default\n");
	return 0;
}

int
ctl_profile_write(const json_t *info, const struct ctl_profile_opt *o, FILE *out, char *err,
		  size_t err_len)
{
	const char *name = jstr(info, "name"), *server = server_of(info, o);

	if (name == NULL || !safe(name)) {
		snprintf(err, err_len, "connection name missing or not plain ASCII");
		return -1;
	}
	if (server == NULL || !safe(server)) {
		snprintf(err, err_len, "no usable gateway address or name (give --server)");
		return -1;
	}
	if (o->user != NULL && !safe(o->user)) {
		snprintf(err, err_len, "user name must be plain ASCII without quotes");
		return -1;
	}
	if (strcmp(o->os, "windows") == 0)
		return write_windows(info, o, out, err, err_len);
	if (strcmp(o->os, "macos") == 0 || strcmp(o->os, "ios") == 0)
		return write_apple(info, o, out, err, err_len);
	if (strcmp(o->os, "android") == 0)
		return write_android(info, o, out, err, err_len);
	if (strcmp(o->os, "linux") == 0)
		return write_linux(info, o, out, err, err_len);
	snprintf(err, err_len, "unknown --os '%s' (windows, macos, ios, android, linux)", o->os);
	return -1;
}

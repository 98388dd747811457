#ifndef EIS_COPENSSL_SHIM_H
#define EIS_COPENSSL_SHIM_H
// The two OpenSSL primitives EIS uses: SHA-256 (weight digests) and RAND_bytes (the CSPRNG).
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/evp.h>
#endif

/*
 * AES-256-GCM that writes into buffers the caller owns (issue 17). node:crypto's Cipher.update
 * allocates a fresh output buffer per call and copies it once more; this binding seals and opens a
 * chunk straight into a given buffer (or in place) through OpenSSL's EVP interface, with one
 * EVP_CIPHER_CTX per key whose key schedule is set once. The bytes are exactly those of
 * createCipheriv('aes-256-gcm', key, iv) + setAAD + update + final + getAuthTag.
 *
 *   create(key: Buffer(32), encrypt: boolean) -> external context
 *   seal(ctx, iv: Buffer(12), aad: Buffer, plain: Buffer, out: Buffer, outOffset: number) -> undefined
 *        writes ciphertext (plain.length bytes) at out[outOffset..] and the 16-byte tag right after it
 *   open(ctx, iv, aad, cipher: Buffer, tag: Buffer(16), out: Buffer, outOffset) -> boolean (tag ok)
 *        out may be cipher itself (in place); on false the output is wiped (zeros)
 *   openAt(ctx, iv, aad, src: Buffer, srcOffset, length, out: Buffer, outOffset) -> boolean (tag ok)
 *        the same for the ciphertext src[srcOffset, srcOffset + length) followed by its 16-byte tag,
 *        so a reader opens the records of one read buffer without a Buffer view per record; out
 *        must not overlap src unless it is exactly in place; on false the output is wiped (zeros)
 *   destroy(ctx) -> undefined   frees the context and wipes its key schedule now (GC would later)
 */
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  EVP_CIPHER_CTX *ctx;
  bool encrypt;
} gcm_t;

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, "LAGEBILD_GCM", "N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

#define FAIL(msg)                                   \
  do {                                              \
    napi_throw_error(env, "LAGEBILD_GCM", (msg));   \
    return NULL;                                    \
  } while (0)

static void gcm_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  gcm_t *g = (gcm_t *)data;
  if (g->ctx) EVP_CIPHER_CTX_free(g->ctx); /* cleanses the key schedule */
  free(g);
}

static bool buffer_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return false;
  return napi_get_buffer_info(env, v, (void **)data, len) == napi_ok;
}

static gcm_t *ctx_arg(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (gcm_t *)data;
}

static napi_value gcm_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *key;
  size_t keyLen;
  bool encrypt = false;
  if (argc < 2 || !buffer_arg(env, argv[0], &key, &keyLen) || keyLen != 32) FAIL("create(key: 32-byte Buffer, encrypt)");
  CHECK(napi_get_value_bool(env, argv[1], &encrypt));
  gcm_t *g = calloc(1, sizeof *g);
  if (!g) FAIL("out of memory");
  g->encrypt = encrypt;
  g->ctx = EVP_CIPHER_CTX_new();
  if (!g->ctx || EVP_CipherInit_ex(g->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
      EVP_CipherInit_ex(g->ctx, NULL, NULL, key, NULL, encrypt ? 1 : 0) != 1) {
    if (g->ctx) EVP_CIPHER_CTX_free(g->ctx);
    free(g);
    FAIL("EVP_CipherInit_ex failed");
  }
  napi_value out;
  if (napi_create_external(env, g, gcm_finalize, NULL, &out) != napi_ok) {
    EVP_CIPHER_CTX_free(g->ctx);
    free(g);
    FAIL("napi_create_external failed");
  }
  return out;
}

static napi_value gcm_destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  gcm_t *g = argc == 1 ? ctx_arg(env, argv[0]) : NULL;
  if (!g) FAIL("destroy(ctx)");
  if (g->ctx) EVP_CIPHER_CTX_free(g->ctx);
  g->ctx = NULL;
  return NULL;
}

/* sets the IV, feeds the AAD; the key schedule stays */
static bool begin(gcm_t *g, const uint8_t *iv, const uint8_t *aad, size_t aadLen) {
  int n = 0;
  if (EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, iv, g->encrypt ? 1 : 0) != 1) return false;
  if (aadLen > 0 && EVP_CipherUpdate(g->ctx, NULL, &n, aad, (int)aadLen) != 1) return false;
  return true;
}

static napi_value gcm_seal(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  gcm_t *g = argc == 6 ? ctx_arg(env, argv[0]) : NULL;
  uint8_t *iv, *aad, *plain, *out;
  size_t ivLen, aadLen, plainLen, outLen;
  int64_t off = -1;
  if (!g || !g->ctx || !g->encrypt) FAIL("seal: not an open encryption context");
  if (!buffer_arg(env, argv[1], &iv, &ivLen) || ivLen != 12 || !buffer_arg(env, argv[2], &aad, &aadLen) ||
      !buffer_arg(env, argv[3], &plain, &plainLen) || !buffer_arg(env, argv[4], &out, &outLen) ||
      napi_get_value_int64(env, argv[5], &off) != napi_ok)
    FAIL("seal(ctx, iv: 12-byte Buffer, aad: Buffer, plain: Buffer, out: Buffer, offset)");
  if (off < 0 || (uint64_t)off > outLen || outLen - (size_t)off < plainLen + 16 || plainLen > INT32_MAX)
    FAIL("seal: the record does not fit the output buffer");
  uint8_t *dst = out + off;
  int n = 0, m = 0;
  if (!begin(g, iv, aad, aadLen) || (plainLen > 0 && EVP_EncryptUpdate(g->ctx, dst, &n, plain, (int)plainLen) != 1) ||
      EVP_EncryptFinal_ex(g->ctx, dst + n, &m) != 1 || (size_t)(n + m) != plainLen ||
      EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, 16, dst + plainLen) != 1)
    FAIL("seal: OpenSSL failed");
  return NULL;
}

/*
 * Decrypts cipherLen bytes at cipher into dst and checks the tag. GCM releases plaintext before the
 * tag is checked, so on a mismatch the output is wiped: no unauthenticated byte is left in a buffer
 * whose verified parts a reader may already have handed on.
 */
static bool open_into(gcm_t *g, const uint8_t *iv, const uint8_t *aad, size_t aadLen, const uint8_t *cipher,
                      size_t cipherLen, const uint8_t *tag, uint8_t *dst, bool *failed) {
  uint8_t tagCopy[16];
  memcpy(tagCopy, tag, 16);
  int n = 0, m = 0;
  *failed = false;
  if (!begin(g, iv, aad, aadLen) || (cipherLen > 0 && EVP_DecryptUpdate(g->ctx, dst, &n, cipher, (int)cipherLen) != 1) ||
      EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, 16, tagCopy) != 1) {
    OPENSSL_cleanse(dst, cipherLen);
    *failed = true;
    return false;
  }
  bool ok = EVP_DecryptFinal_ex(g->ctx, dst + n, &m) == 1 && (size_t)(n + m) == cipherLen;
  if (!ok) OPENSSL_cleanse(dst, cipherLen);
  return ok;
}

static napi_value gcm_open(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  gcm_t *g = argc == 7 ? ctx_arg(env, argv[0]) : NULL;
  uint8_t *iv, *aad, *cipher, *tag, *out;
  size_t ivLen, aadLen, cipherLen, tagLen, outLen;
  int64_t off = -1;
  if (!g || !g->ctx || g->encrypt) FAIL("open: not an open decryption context");
  if (!buffer_arg(env, argv[1], &iv, &ivLen) || ivLen != 12 || !buffer_arg(env, argv[2], &aad, &aadLen) ||
      !buffer_arg(env, argv[3], &cipher, &cipherLen) || !buffer_arg(env, argv[4], &tag, &tagLen) || tagLen != 16 ||
      !buffer_arg(env, argv[5], &out, &outLen) || napi_get_value_int64(env, argv[6], &off) != napi_ok)
    FAIL("open(ctx, iv: 12-byte Buffer, aad, cipher, tag: 16-byte Buffer, out, offset)");
  if (off < 0 || (uint64_t)off > outLen || outLen - (size_t)off < cipherLen || cipherLen > INT32_MAX)
    FAIL("open: the plaintext does not fit the output buffer");
  uint8_t *dst = out + off;
  /* in place is allowed (dst == cipher); any other overlap is not */
  if (dst != cipher && dst < cipher + cipherLen && cipher < dst + cipherLen) FAIL("open: output overlaps the input");
  bool failed = false;
  bool ok = open_into(g, iv, aad, aadLen, cipher, cipherLen, tag, dst, &failed);
  if (failed) FAIL("open: OpenSSL failed");
  napi_value result;
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value gcm_open_at(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  gcm_t *g = argc == 8 ? ctx_arg(env, argv[0]) : NULL;
  uint8_t *iv, *aad, *src, *out;
  size_t ivLen, aadLen, srcLen, outLen;
  int64_t srcOff = -1, len = -1, off = -1;
  if (!g || !g->ctx || g->encrypt) FAIL("openAt: not an open decryption context");
  if (!buffer_arg(env, argv[1], &iv, &ivLen) || ivLen != 12 || !buffer_arg(env, argv[2], &aad, &aadLen) ||
      !buffer_arg(env, argv[3], &src, &srcLen) || napi_get_value_int64(env, argv[4], &srcOff) != napi_ok ||
      napi_get_value_int64(env, argv[5], &len) != napi_ok || !buffer_arg(env, argv[6], &out, &outLen) ||
      napi_get_value_int64(env, argv[7], &off) != napi_ok)
    FAIL("openAt(ctx, iv: 12-byte Buffer, aad, src: Buffer, srcOffset, length, out: Buffer, outOffset)");
  if (srcOff < 0 || len < 0 || len > INT32_MAX || (uint64_t)srcOff > srcLen || srcLen - (size_t)srcOff < (size_t)len + 16)
    FAIL("openAt: the record lies outside the source buffer");
  if (off < 0 || (uint64_t)off > outLen || outLen - (size_t)off < (size_t)len)
    FAIL("openAt: the plaintext does not fit the output buffer");
  const uint8_t *cipher = src + srcOff;
  uint8_t *dst = out + off;
  size_t cipherLen = (size_t)len;
  /* in place is allowed (dst == cipher); any other overlap (the tag included) is not */
  if (dst != cipher && dst < cipher + cipherLen + 16 && cipher < dst + cipherLen) FAIL("openAt: output overlaps the input");
  bool failed = false;
  bool ok = open_into(g, iv, aad, aadLen, cipher, cipherLen, cipher + cipherLen, dst, &failed);
  if (failed) FAIL("openAt: OpenSSL failed");
  napi_value result;
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", NULL, gcm_create, NULL, NULL, NULL, napi_default, NULL},
      {"seal", NULL, gcm_seal, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, gcm_open, NULL, NULL, NULL, napi_default, NULL},
      {"openAt", NULL, gcm_open_at, NULL, NULL, NULL, napi_default, NULL},
      {"destroy", NULL, gcm_destroy, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

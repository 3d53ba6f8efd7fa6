/*
 * libsrtp 3 calls used by the mediasoup worker, implemented with libsrtp 2 (see include/srtp.h).
 * Includes libsrtp 2's header directly, so the names below are the real libsrtp 2 functions.
 */
#include <srtp2/srtp.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest master key + salt of the supported profiles (AES-256-GCM: 32 + 12). */
#define LBSRTP3_MAX_KEY_SALT_LEN 64

struct lbsrtp3_policy {
  srtp_policy_t v2;
  srtp_profile_t profile;
  bool has_profile;
  unsigned char key[LBSRTP3_MAX_KEY_SALT_LEN];
};

typedef struct lbsrtp3_policy *lbsrtp3_policy_t;

srtp_err_status_t lbsrtp3_policy_create(lbsrtp3_policy_t *policy) {
  if (policy == NULL) return srtp_err_status_bad_param;
  *policy = calloc(1, sizeof(struct lbsrtp3_policy));
  if (*policy == NULL) return srtp_err_status_alloc_fail;
  (*policy)->v2.window_size = 128;
  return srtp_err_status_ok;
}

void lbsrtp3_policy_destroy(lbsrtp3_policy_t policy) {
  if (policy == NULL) return;
  memset(policy->key, 0, sizeof(policy->key));
  free(policy);
}

srtp_err_status_t lbsrtp3_policy_set_ssrc(lbsrtp3_policy_t policy, srtp_ssrc_t ssrc) {
  if (policy == NULL) return srtp_err_status_bad_param;
  policy->v2.ssrc = ssrc;
  return srtp_err_status_ok;
}

srtp_err_status_t lbsrtp3_policy_set_profile(lbsrtp3_policy_t policy, srtp_profile_t profile) {
  if (policy == NULL) return srtp_err_status_bad_param;
  srtp_err_status_t err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->v2.rtp, profile);
  if (err != srtp_err_status_ok) return err;
  err = srtp_crypto_policy_set_from_profile_for_rtcp(&policy->v2.rtcp, profile);
  if (err != srtp_err_status_ok) return err;
  policy->profile = profile;
  policy->has_profile = true;
  return srtp_err_status_ok;
}

/* libsrtp 2 takes one buffer holding the master key followed by the master salt. */
srtp_err_status_t lbsrtp3_policy_add_key(lbsrtp3_policy_t policy, const uint8_t *key, size_t key_len,
                                         const uint8_t *salt, size_t salt_len, const uint8_t *mki,
                                         size_t mki_len) {
  if (policy == NULL || key == NULL || (salt == NULL && salt_len > 0)) return srtp_err_status_bad_param;
  if (mki != NULL || mki_len > 0) return srtp_err_status_bad_mki;
  if (policy->v2.key != NULL) return srtp_err_status_bad_param; /* one key only */
  if (key_len + salt_len > LBSRTP3_MAX_KEY_SALT_LEN) return srtp_err_status_bad_param;
  memcpy(policy->key, key, key_len);
  if (salt_len > 0) memcpy(policy->key + key_len, salt, salt_len);
  policy->v2.key = policy->key;
  return srtp_err_status_ok;
}

srtp_err_status_t lbsrtp3_policy_set_allow_repeat_tx(lbsrtp3_policy_t policy, bool allow) {
  if (policy == NULL) return srtp_err_status_bad_param;
  policy->v2.allow_repeat_tx = allow ? 1 : 0;
  return srtp_err_status_ok;
}

srtp_err_status_t lbsrtp3_policy_set_window_size(lbsrtp3_policy_t policy, size_t window_size) {
  if (policy == NULL || window_size < 64 || window_size >= 0x8000) return srtp_err_status_bad_param;
  policy->v2.window_size = (unsigned long)window_size;
  return srtp_err_status_ok;
}

srtp_err_status_t lbsrtp3_create(srtp_t *session, const lbsrtp3_policy_t policy) {
  if (policy == NULL || !policy->has_profile || policy->v2.key == NULL) return srtp_err_status_bad_param;
  srtp_policy_t v2 = policy->v2;
  v2.next = NULL;
  return srtp_create(session, &v2);
}

/*
 * libsrtp 2 protects in place and needs room for the trailer after the packet; libsrtp 3 writes
 * to a separate buffer whose size is passed in *out_len.
 */
typedef srtp_err_status_t (*lbsrtp2_in_place_fn)(srtp_t, void *, int *);

static srtp_err_status_t lbsrtp3_grow(srtp_t ctx, lbsrtp2_in_place_fn fn, size_t trailer_len, const uint8_t *in,
                                      size_t in_len, uint8_t *out, size_t *out_len) {
  if (in == NULL || out == NULL || out_len == NULL) return srtp_err_status_bad_param;
  if (in_len > INT_MAX - trailer_len) return srtp_err_status_bad_param;
  if (*out_len < in_len + trailer_len) return srtp_err_status_fail;
  if (out != in) memmove(out, in, in_len);
  int len = (int)in_len;
  srtp_err_status_t err = fn(ctx, out, &len);
  if (err != srtp_err_status_ok) return err;
  *out_len = (size_t)len;
  return srtp_err_status_ok;
}

static srtp_err_status_t lbsrtp3_shrink(srtp_t ctx, lbsrtp2_in_place_fn fn, const uint8_t *in, size_t in_len,
                                        uint8_t *out, size_t *out_len) {
  if (in == NULL || out == NULL || out_len == NULL) return srtp_err_status_bad_param;
  if (in_len > INT_MAX) return srtp_err_status_bad_param;
  if (*out_len < in_len) return srtp_err_status_fail;
  if (out != in) memmove(out, in, in_len);
  int len = (int)in_len;
  srtp_err_status_t err = fn(ctx, out, &len);
  if (err != srtp_err_status_ok) return err;
  *out_len = (size_t)len;
  return srtp_err_status_ok;
}

srtp_err_status_t lbsrtp3_protect(srtp_t ctx, const uint8_t *rtp, size_t rtp_len, uint8_t *srtp,
                                  size_t *srtp_len, size_t mki_index) {
  if (mki_index != 0) return srtp_err_status_bad_mki;
  return lbsrtp3_grow(ctx, srtp_protect, SRTP_MAX_TRAILER_LEN, rtp, rtp_len, srtp, srtp_len);
}

srtp_err_status_t lbsrtp3_unprotect(srtp_t ctx, const uint8_t *srtp, size_t srtp_len, uint8_t *rtp,
                                    size_t *rtp_len) {
  return lbsrtp3_shrink(ctx, srtp_unprotect, srtp, srtp_len, rtp, rtp_len);
}

srtp_err_status_t lbsrtp3_protect_rtcp(srtp_t ctx, const uint8_t *rtcp, size_t rtcp_len,
                                       uint8_t *srtcp, size_t *srtcp_len, size_t mki_index) {
  if (mki_index != 0) return srtp_err_status_bad_mki;
  /* SRTCP adds the 4-byte E flag + index word before the trailer. */
  return lbsrtp3_grow(ctx, srtp_protect_rtcp, SRTP_MAX_TRAILER_LEN + 4, rtcp, rtcp_len, srtcp, srtcp_len);
}

srtp_err_status_t lbsrtp3_unprotect_rtcp(srtp_t ctx, const uint8_t *srtcp, size_t srtcp_len,
                                         uint8_t *rtcp, size_t *rtcp_len) {
  return lbsrtp3_shrink(ctx, srtp_unprotect_rtcp, srtcp, srtcp_len, rtcp, rtcp_len);
}

srtp_err_status_t lbsrtp3_stream_remove(srtp_t session, uint32_t ssrc) {
  return srtp_remove_stream(session, ssrc);
}

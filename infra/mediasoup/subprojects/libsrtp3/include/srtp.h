/*
 * libsrtp 3 API subset on top of libsrtp 2 (Debian bookworm ships only libsrtp 2).
 *
 * The mediasoup worker calls the libsrtp 3 functions declared below. Where libsrtp 3 changed a
 * signature (opaque policy object, separate in/out buffers with size_t lengths), the libsrtp 2
 * declaration is renamed out of the way while its header is included, and the libsrtp 3 name is
 * mapped onto an lbsrtp3_* function implemented in srtp3-compat.c. Supported: one master key per
 * policy, no MKI, ssrc_any_inbound / ssrc_any_outbound, the four profiles WebRTC negotiates.
 */
#ifndef LAGEBILD_SRTP3_COMPAT_H
#define LAGEBILD_SRTP3_COMPAT_H

#define srtp_policy_t lbsrtp2_policy_t
#define srtp_create lbsrtp2_create_unused
#define srtp_protect lbsrtp2_protect_unused
#define srtp_unprotect lbsrtp2_unprotect_unused
#define srtp_protect_rtcp lbsrtp2_protect_rtcp_unused
#define srtp_unprotect_rtcp lbsrtp2_unprotect_rtcp_unused
#include <srtp2/srtp.h>
#undef srtp_policy_t
#undef srtp_create
#undef srtp_protect
#undef srtp_unprotect
#undef srtp_protect_rtcp
#undef srtp_unprotect_rtcp

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes libsrtp 3 added; libsrtp 2 never returns them. */
#define srtp_err_status_buffer_small ((srtp_err_status_t)28)
#define srtp_err_status_cryptex_err ((srtp_err_status_t)29)

typedef struct lbsrtp3_policy *srtp_policy_t;

#define srtp_policy_create lbsrtp3_policy_create
#define srtp_policy_destroy lbsrtp3_policy_destroy
#define srtp_policy_set_ssrc lbsrtp3_policy_set_ssrc
#define srtp_policy_set_profile lbsrtp3_policy_set_profile
#define srtp_policy_add_key lbsrtp3_policy_add_key
#define srtp_policy_set_allow_repeat_tx lbsrtp3_policy_set_allow_repeat_tx
#define srtp_policy_set_window_size lbsrtp3_policy_set_window_size
#define srtp_create lbsrtp3_create
#define srtp_protect lbsrtp3_protect
#define srtp_unprotect lbsrtp3_unprotect
#define srtp_protect_rtcp lbsrtp3_protect_rtcp
#define srtp_unprotect_rtcp lbsrtp3_unprotect_rtcp
#define srtp_stream_remove lbsrtp3_stream_remove

srtp_err_status_t lbsrtp3_policy_create(srtp_policy_t *policy);
void lbsrtp3_policy_destroy(srtp_policy_t policy);
srtp_err_status_t lbsrtp3_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc);
srtp_err_status_t lbsrtp3_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile);
srtp_err_status_t lbsrtp3_policy_add_key(srtp_policy_t policy, const uint8_t *key, size_t key_len,
                                         const uint8_t *salt, size_t salt_len, const uint8_t *mki,
                                         size_t mki_len);
srtp_err_status_t lbsrtp3_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow);
srtp_err_status_t lbsrtp3_policy_set_window_size(srtp_policy_t policy, size_t window_size);
srtp_err_status_t lbsrtp3_create(srtp_t *session, const srtp_policy_t policy);
srtp_err_status_t lbsrtp3_protect(srtp_t ctx, const uint8_t *rtp, size_t rtp_len, uint8_t *srtp,
                                  size_t *srtp_len, size_t mki_index);
srtp_err_status_t lbsrtp3_unprotect(srtp_t ctx, const uint8_t *srtp, size_t srtp_len, uint8_t *rtp,
                                    size_t *rtp_len);
srtp_err_status_t lbsrtp3_protect_rtcp(srtp_t ctx, const uint8_t *rtcp, size_t rtcp_len,
                                       uint8_t *srtcp, size_t *srtcp_len, size_t mki_index);
srtp_err_status_t lbsrtp3_unprotect_rtcp(srtp_t ctx, const uint8_t *srtcp, size_t srtcp_len,
                                         uint8_t *rtcp, size_t *rtcp_len);
srtp_err_status_t lbsrtp3_stream_remove(srtp_t session, uint32_t ssrc);

#ifdef __cplusplus
}
#endif

#endif

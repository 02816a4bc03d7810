#ifndef CRDKAFKA_SHIM_H
#define CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// rd_kafka_producev is variadic and cannot be called from Swift; this fixed-arity wrapper can. It takes a topic
/// handle from rd_kafka_topic_new, kept by the caller: by handle, librdkafka neither looks the topic up by name (under
/// the client's write lock) nor takes and drops a reference to it for every record.
/// Ownership: on success librdkafka owns `headers`; on failure the caller must destroy them.
static inline rd_kafka_resp_err_t crdkafka_produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition,
                                                   const void *key, size_t key_len, const void *value,
                                                   size_t value_len, rd_kafka_headers_t *headers,
                                                   int64_t timestamp_ms, void *msg_opaque) {
    return rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
}

#ifdef __linux__
#include <sys/prctl.h>
#endif

/// Names the calling thread as the kernel shows it (`top -H`, `perf`, /proc/<pid>/task/<tid>/comm; at most 15
/// bytes). prctl is variadic and cannot be called from Swift.
static inline void crdkafka_name_current_thread(const char *name) {
#ifdef __linux__
    prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
#else
    (void)name;
#endif
}
#include <errno.h>
#ifdef __linux__
#include <sys/resource.h>
#endif

#define CRDKAFKA_NICE_INTERCEPTOR "referral-router.main-thread-nice"

/// What `crdkafka_set_main_thread_nice` asks for and what came of it, written by the client's main thread as it
/// starts (before rd_kafka_new returns) and read by the caller afterwards.
typedef struct crdkafka_thread_nice {
    int nice;
    /// 0 once the nice value is set; an errno value if setpriority failed (EPERM where a seccomp filter denies it,
    /// ENOSYS where nice values are not per thread); the caller's initial value until the main thread has started.
    int result;
} crdkafka_thread_nice;

static inline rd_kafka_resp_err_t crdkafka_on_thread_start_nice(rd_kafka_t *rk, rd_kafka_thread_type_t type,
                                                               const char *name, void *opaque) {
    (void)rk;
    (void)name;
    if (type == RD_KAFKA_THREAD_MAIN) {
        crdkafka_thread_nice *request = (crdkafka_thread_nice *)opaque;
#ifdef __linux__
        // On Linux a nice value belongs to a thread, and `who` 0 is the calling thread (setpriority(2), NOTES).
        request->result = setpriority(PRIO_PROCESS, 0, request->nice) == 0 ? 0 : errno;
#else
        request->result = ENOSYS;
#endif
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static inline rd_kafka_resp_err_t crdkafka_on_new_nice(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque,
                                                      char *errstr, size_t errstr_size) {
    (void)conf;
    (void)errstr;
    (void)errstr_size;
    return rd_kafka_interceptor_add_on_thread_start(rk, CRDKAFKA_NICE_INTERCEPTOR, crdkafka_on_thread_start_nice,
                                                    opaque);
}

/// Runs the main thread of the client made from `conf` at `request->nice` and records the outcome in
/// `request->result`, which the caller initialises (to -1). `request` must outlive the client. The main thread is started inside rd_kafka_new, after the
/// on_new interceptor has added the on_thread_start one, and rd_kafka_new waits for it to start.
static inline rd_kafka_resp_err_t crdkafka_set_main_thread_nice(rd_kafka_conf_t *conf,
                                                               crdkafka_thread_nice *request) {
    return rd_kafka_conf_interceptor_add_on_new(conf, CRDKAFKA_NICE_INTERCEPTOR, crdkafka_on_new_nice, request);
}
#endif

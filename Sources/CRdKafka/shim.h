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
#endif

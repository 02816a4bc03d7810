/*
 * Shows a limit of librdkafka's mock cluster that a fault test must respect: an idempotent (non-transactional)
 * producer can be told a record was delivered that the mock never stored.
 *
 * How: the mock checks producer sequence numbers only for transactional producers. A real broker that fails
 * request R1 of a partition also rejects the next request R2 of that partition (OUT_OF_ORDER_SEQUENCE_NUMBER).
 * The mock instead stores R2. librdkafka then sees R2 acknowledged while R1's records wait for their retry. It
 * concludes, correctly for a real broker, that R1 was persisted, and reports R1's records delivered: they are
 * missing from the log. This takes two requests in flight for one partition. librdkafka counts its per-partition
 * limit of 5 in messages, so that happens only with sparse traffic (batches of 1-4 records), which is what
 * a dead-letter topic gets.
 *
 * Build and run (librdkafka-dev):
 *   cc -O1 -o /tmp/implicit-ack tools/mock-limits/implicit-ack.c -lrdkafka
 *   /tmp/implicit-ack 5    # max.in.flight.requests.per.connection=5: usually 1-2 records missing
 *   /tmp/implicit-ack 1    # one request in flight: none missing
 *
 * On 2026-12-02 with librdkafka 2.0.2, three series of ten runs: 8, 8 and 6 of 10 runs with 5 in flight lost 1 or 2
 * of 400 records, all reported delivered; none of the runs with 1 in flight lost any.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RECORDS = 400 };

static int delivered = 0, failed = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk, (void)opaque;
    if (message->err)
        failed++;
    else
        delivered++;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char error[256];
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s\n", name, error);
        exit(2);
    }
}

int main(int argc, char **argv) {
    const char *in_flight = argc > 1 ? argv[1] : "5";
    char error[512];

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "log_level", "0");
    rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(host, 3);
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
    rd_kafka_mock_topic_create(cluster, "t", 1, 3);
    /* Slow responses, so that a record produced every 8 ms finds earlier requests still in flight. */
    for (int broker = 1; broker <= 3; broker++)
        rd_kafka_mock_broker_set_rtt(cluster, broker, 30);

    conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "enable.idempotence", "true");
    set(conf, "linger.ms", "0");
    set(conf, "max.in.flight.requests.per.connection", in_flight);
    set(conf, "log_level", "0");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);

    /* The fault test's retriable errors: NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, NOT_LEADER_FOR_PARTITION. */
    rd_kafka_resp_err_t errors[20];
    for (int i = 0; i < 20; i++)
        errors[i] = i < 10 ? RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS
                  : i < 15 ? RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT
                           : RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;

    for (int i = 0; i < RECORDS; i++) {
        if (i == RECORDS / 4)
            rd_kafka_mock_push_request_errors_array(cluster, 0 /* Produce */, 20, errors);
        char value[16];
        int length = snprintf(value, sizeof value, "r%d", i);
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("t"), RD_KAFKA_V_VALUE(value, (size_t)length),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        rd_kafka_poll(producer, 0);
        nanosleep(&(struct timespec){0, 8000000}, NULL);
    }
    rd_kafka_flush(producer, 60000);

    conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", "implicit-ack-reader");
    set(conf, "enable.partition.eof", "true");
    set(conf, "log_level", "0");
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    rd_kafka_topic_partition_list_t *partitions = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(partitions, "t", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer, partitions);
    char seen[RECORDS] = {0};
    int stored = 0;
    for (int done = 0; !done;) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 1000);
        if (!message)
            continue;
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            done = 1;
        else if (!message->err && message->len > 1 && message->len < 16 && ((const char *)message->payload)[0] == 'r') {
            char text[16];
            memcpy(text, (const char *)message->payload + 1, message->len - 1);
            text[message->len - 1] = '\0';
            int id = atoi(text);
            if (id >= 0 && id < RECORDS && !seen[id]) {
                seen[id] = 1;
                stored++;
            }
        }
        rd_kafka_message_destroy(message);
    }
    printf("librdkafka %s, max.in.flight=%s: produced %d, reported delivered %d, failed %d, stored %d, missing %d\n",
           rd_kafka_version_str(), in_flight, RECORDS, delivered, failed, stored, RECORDS - stored);
    rd_kafka_topic_partition_list_destroy(partitions);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    rd_kafka_destroy(producer);
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(host);
    return 0;
}

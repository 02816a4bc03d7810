import KafkaIO

extension KafkaProducerClient {
    /// Produces `outputs[index]` with every part of its headers (``OutputRecord/allHeaders``). Each member is read
    /// where it is: a copy of the record would retain and release each of its arrays.
    func produce(_ outputs: [OutputRecord], at index: Int, token: UInt64) throws(KafkaIOError) {
        try self.produce(
            topic: outputs[index].topic, partition: outputs[index].partition, key: outputs[index].key,
            value: outputs[index].valueIsNull ? nil : outputs[index].value, headers: outputs[index].headers, sharedHeaders: outputs[index].sharedHeaders,
            eventHeaders: outputs[index].eventHeaders, id: outputs[index].id,
            idHeaderNames: outputs[index].idHeaderNames, token: token)
    }

    /// Produces one output with every part of its headers.
    func produce(_ output: OutputRecord, token: UInt64) throws(KafkaIOError) {
        try self.produce([output], at: 0, token: token)
    }
}

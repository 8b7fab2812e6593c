"""The local Kafka cluster for `make up`, the tests and the benchmark."""

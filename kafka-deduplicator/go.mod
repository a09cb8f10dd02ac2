module github.com/hoggo/kafka-deduplicator

go 1.26.8

require github.com/hoggo/common v0.0.0

replace github.com/hoggo/common => ../common

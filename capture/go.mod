module github.com/hoggo/capture

go 1.26.8

require (
	github.com/google/uuid v1.6.0
	github.com/hoggo/common v0.0.0
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/twmb/franz-go v1.22.3 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
)

replace github.com/hoggo/common => ../common

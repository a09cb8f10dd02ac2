module github.com/hoggo/hogvm

go 1.26.8

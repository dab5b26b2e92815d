package spikessm

import "time"

var clockStart = time.Now()

// nanotime is a monotonic clock reading in nanoseconds.
func nanotime() int64 { return int64(time.Since(clockStart)) }

package hardening

import (
	"strconv"
	"testing"
)

// BenchmarkLimiterAllow is one rate-limit decision with 10,000 users kept.
func BenchmarkLimiterAllow(b *testing.B) {
	l := NewLimiter(RateLimitOptions{QPS: 1e9, Burst: 1 << 30, MaxUsers: 10000})
	keys := make([]string, 20000)
	for i := range keys {
		keys[i] = "user:" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Allow(keys[i%len(keys)])
	}
}

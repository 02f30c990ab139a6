package hardening

import (
	"container/list"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/clientip"
)

// RateLimitOptions configure RateLimit.
type RateLimitOptions struct {
	// QPS is the sustained rate of requests per user; <= 0 turns the limit
	// off.
	QPS float64
	// Burst is how many requests a user may send at once. Default: 2×QPS,
	// at least 1.
	Burst int
	// MaxUsers bounds the buckets kept in memory; the least recently seen
	// user's bucket is forgotten first (that user starts again with a full
	// bucket). Default: 10,000.
	MaxUsers int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Limiter is a set of per-user token buckets in bounded memory.
type Limiter struct {
	opts RateLimitOptions
	mu   sync.Mutex
	lru  *list.List // of *bucket, most recent first
	byID map[string]*list.Element
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time
}

// NewLimiter returns a Limiter, or nil when opts.QPS <= 0.
func NewLimiter(opts RateLimitOptions) *Limiter {
	if opts.QPS <= 0 {
		return nil
	}
	if opts.Burst <= 0 {
		opts.Burst = int(math.Max(1, 2*opts.QPS))
	}
	if opts.MaxUsers <= 0 {
		opts.MaxUsers = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Limiter{opts: opts, lru: list.New(), byID: map[string]*list.Element{}}
}

// Allow takes a token from key's bucket. When there is none it returns
// false and how long until one is there.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *bucket
	if e, ok := l.byID[key]; ok {
		l.lru.MoveToFront(e)
		b = e.Value.(*bucket)
		b.tokens = math.Min(float64(l.opts.Burst), b.tokens+now.Sub(b.at).Seconds()*l.opts.QPS)
		b.at = now
	} else {
		b = &bucket{key: key, tokens: float64(l.opts.Burst), at: now}
		l.byID[key] = l.lru.PushFront(b)
		for l.lru.Len() > l.opts.MaxUsers {
			old := l.lru.Back()
			l.lru.Remove(old)
			delete(l.byID, old.Value.(*bucket).key)
		}
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.opts.QPS * float64(time.Second))
}

// Wait reports how long until key's bucket holds a token, without taking
// one: 0 when it holds one now. With Refused it makes l an auth.Throttle
// (one token per refused credential of a client).
func (l *Limiter) Wait(key string) time.Duration {
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.byID[key]
	if !ok {
		return 0
	}
	b := e.Value.(*bucket)
	tokens := math.Min(float64(l.opts.Burst), b.tokens+now.Sub(b.at).Seconds()*l.opts.QPS)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / l.opts.QPS * float64(time.Second))
}

// Refused takes a token from key's bucket, if it has one.
func (l *Limiter) Refused(key string) { l.Allow(key) }

// Len is the number of buckets kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// RateLimit is middleware that limits each user (auth.FromContext; the
// source IP when there is no user) to l's rate. Put it after
// authentication. An exceeded limit is answered 429 with Retry-After in
// whole seconds. A nil l lets everything through.
func RateLimit(l *Limiter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if l == nil {
			return c.Next()
		}
		key := "ip:" + clientip.Of(c)
		if u, ok := auth.FromContext(c.UserContext()); ok && u.Name != "" {
			key = "user:" + u.Name
		}
		ok, wait := l.Allow(key)
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return fiber.NewError(fiber.StatusTooManyRequests, "rate limit exceeded: "+strconv.FormatFloat(l.opts.QPS, 'g', -1, 64)+
				" requests per second, burst "+strconv.Itoa(l.opts.Burst)+"; retry after "+strconv.Itoa(secs)+"s")
		}
		return c.Next()
	}
}

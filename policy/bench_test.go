package policy

import (
	"context"
	"testing"
)

// BenchmarkEvaluate measures the Rego evaluation time per request: the
// default policies against a realistic provider create (route, service
// backend, security policy, Backend, BackendTLSPolicy, plus its live Secret).
func BenchmarkEvaluate(b *testing.B) {
	e := newEngine(b, Options{})
	in := providerInput(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Evaluate(ctx, in)
		if err != nil || !d.Allowed() {
			b.Fatalf("Evaluate = %+v, %v; want an allowed decision", d, err)
		}
	}
}

// BenchmarkEvaluateParallel is BenchmarkEvaluate from GOMAXPROCS goroutines,
// as concurrent requests share one Engine.
func BenchmarkEvaluateParallel(b *testing.B) {
	e := newEngine(b, Options{})
	in := providerInput(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Evaluate(ctx, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkNew measures start-up and reload cost: compiling the default
// policies and preparing the query.
func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(ctx, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

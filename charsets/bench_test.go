package charsets

import "testing"

func BenchmarkToUTF8ASCII(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ToUTF8("SELECT c FROM sbtest1 WHERE id=4242", "latin1")
	}
}

func BenchmarkToUTF8Latin1(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ToUTF8("SELECT c FROM sbtest1 WHERE c='caf\xe9 cr\xe8me'", "latin1")
	}
}

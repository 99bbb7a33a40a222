package capture

import (
	"bufio"
	"io"
	"unsafe"
)

// input is what a file source reads: a read-ahead buffer over a stream
// (pipes, standard input, gzip, OpenReader), or the whole of a regular file
// mapped read-only into memory (OpenFile), whose records are returned in
// place from the mapping, with no copy. Both give the fileSource the same
// view: Peek, Discard, Buffered (for the mapping: the rest of the file) and
// Read.
type input struct {
	br *bufio.Reader
	// m is the mapped file (never empty), or nil for br; pos bytes of it
	// are consumed.
	m   []byte
	pos int
	// dropped is how much of m was handed back to the kernel (dropBehind).
	dropped int
	// release hands m[from:to] back (MADV_DONTNEED); nil when m is not
	// a mapping (tests).
	release func(m []byte)
}

// dropEvery is how far a mapped input reads past what it last handed back
// before handing back what it consumed: the pages of a multi-gigabyte file
// do not stay in the process's resident memory.
const dropEvery = 4 << 20

func (in *input) mapped() bool { return in.m != nil }

// Buffered returns how many bytes can be peeked without reading.
func (in *input) Buffered() int {
	if in.m == nil {
		return in.br.Buffered()
	}
	return len(in.m) - in.pos
}

// buffered returns what Buffered counts, without reading.
func (in *input) buffered() []byte {
	if in.m == nil {
		b, _ := in.br.Peek(in.br.Buffered())
		return b
	}
	return in.m[in.pos:]
}

// Peek returns the next n bytes without consuming them; fewer, with
// io.EOF, at the end of a mapping.
func (in *input) Peek(n int) ([]byte, error) {
	if in.m == nil {
		return in.br.Peek(n)
	}
	if rest := len(in.m) - in.pos; n > rest {
		return in.m[in.pos:], io.EOF
	}
	return in.m[in.pos : in.pos+n : in.pos+n], nil
}

// Discard consumes n bytes; fewer, with io.EOF, at the end of a mapping.
func (in *input) Discard(n int) (int, error) {
	if in.m == nil {
		return in.br.Discard(n)
	}
	var err error
	if rest := len(in.m) - in.pos; n > rest {
		n, err = rest, io.EOF
	}
	in.pos += n
	if in.pos-in.dropped >= dropEvery && in.release != nil {
		in.dropBehind()
	}
	return n, err
}

// dropBehind hands back the whole pages consumed since the last call.
func (in *input) dropBehind() {
	to := in.pos &^ (pageSize - 1)
	if to > in.dropped {
		in.release(in.m[in.dropped:to])
		in.dropped = to
	}
}

// Read reads into p (records that do not fit the read-ahead buffer).
func (in *input) Read(p []byte) (int, error) {
	if in.m == nil {
		return in.br.Read(p)
	}
	if in.pos == len(in.m) {
		return 0, io.EOF
	}
	n := copy(p, in.m[in.pos:])
	_, err := in.Discard(n)
	return n, err
}

// pageSize is the granularity dropBehind hands pages back at: the largest
// page size of the systems the sensor runs on (4 KiB on x86-64, up to
// 64 KiB on arm64), so that the start of a range is always page-aligned.
const pageSize = 64 << 10

// at returns the offset in the mapping of addr, which it holds.
func (in *input) at(addr uintptr) int64 {
	return int64(addr - uintptr(unsafe.Pointer(unsafe.SliceData(in.m))))
}

// holds reports whether addr is in the mapping.
func (in *input) holds(addr uintptr) bool {
	if in.m == nil {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(in.m)))
	return addr >= base && addr-base < uintptr(len(in.m))
}

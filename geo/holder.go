package geo

import (
	"fmt"
	"sync/atomic"
)

// Holder holds the current Table for concurrent readers; a reload swaps it
// atomically. The zero Holder holds nil.
type Holder struct{ p atomic.Pointer[Table] }

// NewHolder returns a Holder holding t.
func NewHolder(t *Table) *Holder {
	h := &Holder{}
	h.p.Store(t)
	return h
}

// Load returns the current table.
func (h *Holder) Load() *Table { return h.p.Load() }

// Swap installs t and returns the previous table.
func (h *Holder) Swap(t *Table) *Table { return h.p.Swap(t) }

// Paths names the databases a table is built from. Country "" means the
// embedded country database together with the embedded registration table;
// a file given instead replaces both (its registered_country, if any, is the
// registration). ASN "" means the embedded ASN table; NoASN leaves AS numbers
// to the country database alone.
type Paths struct {
	Country string
	ASN     string
	NoASN   bool
}

// OpenTable opens the databases named by p (reading each file whole into memory)
// and builds a table for z.
func OpenTable(p Paths, z *Zones) (*Table, error) {
	var (
		l   Layers
		err error
	)
	if p.Country == "" {
		if l.Country, err = Embedded(); err != nil {
			return nil, err
		}
		if l.Registration, err = EmbeddedRegistration(); err != nil {
			return nil, err
		}
	} else if l.Country, err = Open(p.Country); err != nil {
		return nil, err
	}
	switch {
	case p.ASN != "":
		if l.ASN, err = OpenASN(p.ASN); err != nil {
			return nil, err
		}
	case !p.NoASN:
		if l.ASN, err = EmbeddedASN(); err != nil {
			return nil, err
		}
	}
	t, err := BuildLayers(l, z)
	if err != nil {
		return nil, fmt.Errorf("building geo table from %s: %w", l.Country.d.src.Name, err)
	}
	return t, nil
}

// Reload opens and builds a new table completely, then swaps it into h and
// returns it. On any error h keeps its table and the error is returned. A nil z
// keeps the zones of the current table.
func Reload(h *Holder, p Paths, z *Zones) (*Table, error) {
	if z == nil {
		if cur := h.Load(); cur != nil {
			z = cur.Zones()
		}
	}
	t, err := OpenTable(p, z)
	if err != nil {
		return nil, err
	}
	h.Swap(t)
	return t, nil
}

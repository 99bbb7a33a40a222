package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kinds lists the detector kinds in order: every value of the Kind
// constants, each with its KindSpec (TestKindSpecs).
var Kinds = func() []Kind {
	ks := make([]Kind, 0, NumKinds-1)
	for k := Kind(1); int(k) < NumKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}()

// String returns the YAML name of the kind.
func (k Kind) String() string {
	if s := k.Spec(); s != nil && s.Name != "" {
		return s.Name
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind parses a kind's YAML name.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if kindSpecs[k].Name == s {
			return k, true
		}
	}
	return 0, false
}

var trackNames = [...]string{TrackSrc: "src", TrackDst: "dst", TrackPair: "pair", TrackFlow: "flow"}

// String returns the YAML name of the track.
func (t Track) String() string {
	if int(t) < len(trackNames) && trackNames[t] != "" {
		return trackNames[t]
	}
	return "track(" + strconv.Itoa(int(t)) + ")"
}

var distinctNames = [...]string{DistinctNone: "none", DistinctDstPort: "dst_port", DistinctDstIP: "dst_ip", DistinctSrcIP: "src_ip", DistinctIPProto: "ip_proto"}

// String returns the YAML name of the distinct value ("none" for none).
func (d Distinct) String() string {
	if int(d) < len(distinctNames) {
		return distinctNames[d]
	}
	return "distinct(" + strconv.Itoa(int(d)) + ")"
}

// String returns the YAML name of the action.
func (a Action) String() string {
	switch a {
	case ActionAlert:
		return "alert"
	case ActionDrop:
		return "drop"
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// String returns the YAML name of the side.
func (s Side) String() string {
	switch s {
	case SideEither:
		return "either"
	case SideSrc:
		return "src"
	case SideDst:
		return "dst"
	}
	return "side(" + strconv.Itoa(int(s)) + ")"
}

// String summarises a threshold: "15 distinct dst_port in 5m per pair",
// "200000 or 1.25GB in 10s per dst, >=5 sources", "10000 in 10s or 5000 in
// 1s per dst, >=100 sources".
func (t Threshold) String() string {
	var parts []string
	if t.Count > 0 {
		switch t.Distinct {
		case DistinctNone:
			parts = append(parts, strconv.FormatUint(t.Count, 10))
		default:
			parts = append(parts, fmt.Sprintf("%d distinct %s", t.Count, t.Distinct))
		}
	}
	if t.Bytes > 0 {
		parts = append(parts, FormatBytes(t.Bytes))
	}
	s := strings.Join(parts, " or ")
	if t.Window > 0 {
		s += " in " + FormatDuration(t.Window)
	}
	if t.Burst > 0 {
		s += fmt.Sprintf(" or %d in %s", t.Burst, FormatDuration(t.BurstWindow))
	}
	if t.Track != 0 {
		s += " per " + t.Track.String()
	}
	if t.MinSources > 1 {
		s += fmt.Sprintf(", >=%d sources", t.MinSources)
	}
	return strings.TrimSpace(s)
}

// FormatBytes writes a byte count with a decimal unit: 1.25GB, 500MB, 512B.
func FormatBytes(b uint64) string {
	units := []struct {
		name string
		v    uint64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}}
	for _, u := range units {
		if b >= u.v {
			return strconv.FormatFloat(float64(b)/float64(u.v), 'f', -1, 64) + u.name
		}
	}
	return strconv.FormatUint(b, 10) + "B"
}

// FormatDuration writes a duration compactly: 5m, 1h30m, 10s, 7d.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	s = strings.Replace(s, "m0s", "m", 1)
	s = strings.Replace(s, "h0m", "h", 1)
	return s
}

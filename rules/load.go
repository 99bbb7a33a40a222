package rules

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/internal/boundedfile"
)

// defaultPack is the embedded default rule pack.
//
//go:embed default/*.yaml
var defaultPack embed.FS

// DefaultPrefix names the embedded pack's files in errors and Set.Files:
// "<default>/scan.yaml".
const DefaultPrefix = "<default>/"

// source is one rule file to load.
type source struct {
	name    string // as shown in errors
	data    []byte
	builtin bool // part of the embedded pack: its zones and lists may be redefined
	// readList reads a list file named relative to the rule file and returns
	// its contents and the name to show.
	readList func(rel string) ([]byte, string, error)
}

// DefaultFiles returns the embedded default pack's files by name, sorted.
func DefaultFiles() map[string][]byte {
	out := map[string][]byte{}
	entries, _ := fs.ReadDir(defaultPack, "default")
	for _, e := range entries {
		b, err := fs.ReadFile(defaultPack, "default/"+e.Name())
		if err == nil {
			out[e.Name()] = b
		}
	}
	return out
}

func defaultSources() []source {
	entries, _ := fs.ReadDir(defaultPack, "default")
	var srcs []source
	for _, e := range entries { // ReadDir sorts by name
		b, err := fs.ReadFile(defaultPack, "default/"+e.Name())
		if err != nil {
			continue
		}
		srcs = append(srcs, source{
			name:    DefaultPrefix + e.Name(),
			data:    b,
			builtin: true,
			readList: func(rel string) ([]byte, string, error) {
				p := path.Join("default", rel)
				b, err := fs.ReadFile(defaultPack, p)
				return b, DefaultPrefix + rel, err
			},
		})
	}
	return srcs
}

// diskSource reads a rule file; list files resolve against its folder.
func diskSource(name string) (source, error) {
	b, err := boundedfile.Read(name, MaxRuleFileSize)
	if err != nil {
		return source{}, err
	}
	dir := filepath.Dir(name)
	return source{
		name: name,
		data: b,
		readList: func(rel string) ([]byte, string, error) {
			p := rel
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := boundedfile.Read(p, MaxListFileSize)
			return b, p, err
		},
	}, nil
}

// gatherSources reads the default pack (unless disabled) and every path:
// a file, or a folder whose *.yaml and *.yml files are read in name order.
func gatherSources(opts Options) ([]source, *errList) {
	errs := &errList{files: map[string]int{}}
	var srcs []source
	if !opts.NoDefaults {
		srcs = append(srcs, defaultSources()...)
	}
	for _, p := range opts.Paths {
		st, err := os.Stat(p)
		if err != nil {
			errs.add(Pos{File: p}, "", "%s", pathErr(err))
			continue
		}
		if !st.IsDir() {
			s, err := diskSource(p)
			if err != nil {
				errs.add(Pos{File: p}, "", "%s", pathErr(err))
				continue
			}
			srcs = append(srcs, s)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			errs.add(Pos{File: p}, "", "%s", pathErr(err))
			continue
		}
		n := 0
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
				continue
			}
			name := filepath.Join(p, e.Name())
			s, err := diskSource(name)
			if err != nil {
				errs.add(Pos{File: name}, "", "%s", pathErr(err))
				continue
			}
			srcs = append(srcs, s)
			n++
		}
		if n == 0 {
			errs.add(Pos{File: p}, "", "no rule files (*.yaml, *.yml) in the folder")
		}
	}
	return srcs, errs
}

// pathErr strips the path that *PathError repeats: the error is already
// prefixed with it.
func pathErr(err error) string {
	var pe *fs.PathError
	if ok := asPathError(err, &pe); ok {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func asPathError(err error, target **fs.PathError) bool { return errors.As(err, target) }

// load parses, merges and compiles the sources.
func load(opts Options, srcs []source, errs *errList) (*Set, error) {
	set := &Set{Lists: map[string]*List{}}
	if errs.files == nil {
		errs.files = map[string]int{}
	}
	files := make([]*FileSpec, len(srcs))
	for i, s := range srcs {
		if _, dup := errs.files[s.name]; !dup {
			errs.files[s.name] = 2 * i // list files sort right after (2i+1)
		}
		set.Files = append(set.Files, s.name)
		files[i] = parseFile(s.name, s.data, errs)
	}

	zones := mergeZones(opts.Geo, srcs, files, errs)
	set.Zones = zones
	lists := loadLists(srcs, files, opts.Lists, errs)
	set.Lists = lists

	seen := map[uint64]Pos{}
	nrules := 0
compile:
	for _, f := range files {
		for i := range f.Rules {
			rs := &f.Rules[i]
			if nrules++; nrules > MaxRules {
				errs.add(rs.Pos, rs.where(), "too many rules: a rule set holds at most %d", MaxRules)
				break compile
			}
			if rs.ID.IsSet() && rs.ID.V > 0 {
				if first, dup := seen[rs.ID.V]; dup {
					errs.add(rs.ID.Pos, rs.where(), "duplicate id: also defined at %s", first)
				} else {
					seen[rs.ID.V] = rs.ID.Pos
				}
			}
			r, enabled := compileRule(rs, zones, lists, errs)
			if r == nil {
				continue
			}
			if enabled {
				set.Rules = append(set.Rules, r)
			} else {
				set.Disabled = append(set.Disabled, r)
			}
		}
	}
	if err := errs.join(); err != nil {
		return nil, err
	}
	return set, nil
}

// mergeZones merges the zones of the configuration and of every file and
// builds the geo zones. A zone of the default pack may be redefined by the
// configuration or a user file (the pack's `forbidden` zone is empty so that
// users fill it); any other duplicate is an error naming both places. An
// empty zone matches nothing.
func mergeZones(cfg geo.Config, srcs []source, files []*FileSpec, errs *errList) *geo.Zones {
	type fileZone struct {
		def     ZoneDef
		builtin bool
		dropped bool
	}
	type origin struct {
		pos    Pos
		config bool
		zone   *fileZone
	}
	seen := map[string]origin{}
	for _, z := range cfg.Zones {
		seen[strings.ToLower(z.Name)] = origin{config: true}
	}
	var fz []*fileZone
	for i, f := range files {
		for _, z := range f.Zones {
			name := z.Name.V
			where := fmt.Sprintf("zone %q", excerpt(name))
			this := &fileZone{def: z, builtin: srcs[i].builtin}
			key := strings.ToLower(name)
			prev, dup := seen[key]
			switch {
			case !dup:
			case prev.zone != nil && prev.zone.builtin && !this.builtin:
				prev.zone.dropped = true // a user file redefines a pack zone
			case prev.config && this.builtin:
				continue // the configuration redefines a pack zone
			case prev.config:
				errs.add(z.Name.Pos, where, "already defined in the configuration")
				continue
			default:
				errs.add(z.Name.Pos, where, "defined twice: first at %s", prev.pos)
				continue
			}
			seen[key] = origin{pos: z.Name.Pos, zone: this}
			fz = append(fz, this)
		}
	}
	var active []*fileZone
	for _, z := range fz {
		if !z.dropped {
			active = append(active, z)
		}
	}
	// build makes the geo configuration; zones in blank get no terms,
	// zones in drop (bad names) are left out.
	blank, drop := map[*fileZone]bool{}, map[*fileZone]bool{}
	build := func(allBlank bool) geo.Config {
		c := cfg
		c.Zones = slices.Clone(cfg.Zones)
		for _, z := range active {
			if drop[z] {
				continue
			}
			terms := z.def.Terms.Strings()
			if allBlank || blank[z] || len(terms) == 0 {
				terms = []string{"!any"} // matches nothing
			}
			c.Zones = append(c.Zones, geo.ZoneSpec{Name: z.def.Name.V, Terms: terms})
		}
		return c
	}
	for range len(active) + 1 {
		zs, err := geo.NewZones(build(false))
		if err == nil {
			// With errors, the zones (bad ones blanked) still serve to check
			// the rules' from and to; Load fails anyway.
			return zs
		}
		// Which file zone is it about?
		var culprit *fileZone
		var ze *geo.ZoneError
		if errors.As(err, &ze) {
			for _, z := range active {
				if !blank[z] && !drop[z] && z.def.Name.V == ze.Zone {
					culprit = z
					break
				}
			}
		}
		if culprit == nil {
			if len(active) > 0 && strings.HasPrefix(err.Error(), "too many zones") {
				errs.add(active[0].def.Name.Pos, "", "%v", err)
			} else {
				errs.add(Pos{File: "configuration"}, "", "%v", err)
			}
			return nil
		}
		where := fmt.Sprintf("zone %q", culprit.def.Name.V)
		located := false
		z0, err0 := geo.NewZones(build(true))
		if err0 == nil {
			for _, t := range culprit.def.Terms.Items {
				if _, e := z0.Compile([]string{t.V}); e != nil {
					errs.add(t.Pos, where, "%v", e)
					located = true
				}
			}
		}
		if !located {
			errs.add(culprit.def.Name.Pos, where, "%v", ze.Err)
		}
		if err0 != nil {
			drop[culprit] = true // the name itself is wrong
		} else {
			blank[culprit] = true
		}
	}
	return nil
}

// loadLists checks the list specs and reads their files. A list of the
// default pack may be redefined by a user file or replaced by an external
// list (Options.Lists); other duplicates are errors.
func loadLists(srcs []source, files []*FileSpec, external map[string]*List, errs *errList) map[string]*List {
	type def struct {
		spec    *ListSpec
		src     *source
		dropped bool
	}
	byName := map[string]*def{}
	var defs []*def
	for i, f := range files {
		for j := range f.Lists {
			ls := &f.Lists[j]
			if !ls.Name.IsSet() {
				errs.add(ls.Pos, fmt.Sprintf("list #%d", j+1), "missing required key \"name\"")
				continue
			}
			name := ls.Name.V
			where := fmt.Sprintf("list %q", excerpt(name))
			if msg := checkListName(name); msg != "" {
				errs.add(ls.Name.Pos, where, "%s", msg)
				continue
			}
			this := &def{spec: ls, src: &srcs[i]}
			if _, ext := external[name]; ext {
				if !this.src.builtin {
					errs.add(ls.Name.Pos, where, "defined twice: also a list source of the configuration (lists.sources)")
				}
				continue
			}
			if prev, dup := byName[name]; dup {
				if prev.src.builtin && !this.src.builtin {
					prev.dropped = true
				} else {
					errs.add(ls.Name.Pos, where, "defined twice: first at %s", prev.spec.Name.Pos)
					continue
				}
			}
			byName[name] = this
			defs = append(defs, this)
		}
	}
	out := map[string]*List{}
	for _, d := range defs {
		if d.dropped {
			continue
		}
		// A list that failed is kept as nil: rules naming it get no second error.
		out[d.spec.Name.V] = loadList(d.spec, d.src, errs)
	}
	for name, l := range external {
		out[name] = l
	}
	return out
}

func checkListName(name string) string {
	if name == "" {
		return "empty list name"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && (c == '_' || c == '-' || c == '.')
		if !ok {
			return fmt.Sprintf("bad list name %q: want letters, digits, _, - or .", excerpt(name))
		}
	}
	return ""
}

func loadList(ls *ListSpec, src *source, errs *errList) *List {
	where := fmt.Sprintf("list %q", excerpt(ls.Name.V))
	format := FormatAuto
	if ls.Format.IsSet() {
		f, ok := ParseFormat(ls.Format.V)
		if !ok {
			errs.add(ls.Format.Pos, where, "format: unknown format %q%s (want %s)", excerpt(ls.Format.V), didYouMean(ls.Format.V, formatNames), oneOf(formatNames))
			return nil
		}
		format = f
	}
	switch {
	case ls.File.IsSet() && ls.Addresses.IsSet():
		errs.add(ls.Addresses.Pos, where, "give file or addresses, not both")
		return nil
	case !ls.File.IsSet() && !ls.Addresses.IsSet():
		errs.add(ls.Name.Pos, where, "missing file or addresses")
		return nil
	case ls.Addresses.IsSet():
		if ls.Format.IsSet() {
			errs.add(ls.Format.Pos, where, "format: only for lists read from a file")
			return nil
		}
		l := &List{name: ls.Name.V, source: "inline", format: FormatPlain}
		good := true
		for _, a := range ls.Addresses.Items {
			p, masked, err := parseEntry(strings.TrimSpace(a.V))
			if err != nil {
				errs.add(a.Pos, where, "addresses: %v", err)
				good = false
				continue
			}
			if masked {
				l.masked++
			}
			l.table.Insert(p)
		}
		if !good {
			return nil
		}
		return l
	}
	if ls.File.V == "" {
		errs.add(ls.File.Pos, where, "file: empty path")
		return nil
	}
	if src.readList == nil {
		errs.add(ls.File.Pos, where, "file: lists cannot be read from here")
		return nil
	}
	data, shown, err := src.readList(ls.File.V)
	if err != nil {
		errs.add(ls.File.Pos, where, "file: %s", pathErrFull(err))
		return nil
	}
	l, bad := ParseList(ls.Name.V, shown, data, format)
	if len(bad) > 0 {
		if _, ok := errs.files[shown]; !ok {
			errs.files[shown] = errs.files[ls.File.Pos.File] + 1
		}
		for _, b := range bad {
			errs.add(Pos{File: shown, Line: b.Line}, where, "%s", b.Reason)
		}
		return nil
	}
	return l
}

func pathErrFull(err error) string {
	var pe *fs.PathError
	if asPathError(err, &pe) {
		return fmt.Sprintf("%s %s: %v", pe.Op, pe.Path, pe.Err)
	}
	return err.Error()
}

package feeds

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
)

// The state folder holds, per source NAME, NAME.data (the last good body
// as fetched; for TAXII and MISP sources their indicators or events as
// JSON) and NAME.json (its metadata). Both are replaced atomically, the
// data first: metadata whose data_sha256 does not match is ignored.
const (
	cacheVersion = 1
	maxMetaBytes = 1 << 20
	// maxDataBytes bounds a cached data file: a body is at most max_bytes;
	// the JSON state of a TAXII or MISP source may be larger than what was
	// fetched.
	maxDataBytes = 2 * MaxMaxBytes
)

// meta is NAME.json.
type meta struct {
	Version int `json:"version"`
	// Key identifies the source (URL, credentials and format) by an HMAC
	// under the cache's secret (keyOf): the cache of another source of the
	// same name is not used.
	Key    string `json:"key"`
	Source string `json:"source"` // redacted URL, for people
	Format string `json:"format"`
	// DataSHA256 is the SHA-256 of NAME.data; empty when there is none.
	DataSHA256   string `json:"data_sha256,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// AddedLast is a TAXII collection's X-TAXII-Date-Added-Last: the next
	// pull asks only for what was added after it.
	AddedLast string `json:"taxii_added_last,omitempty"`
	Entries   int    `json:"entries"`
	// Updated is when the list last changed (a 200 with new content);
	// Checked when it was last known current (a 200 or a 304).
	Updated time.Time `json:"updated,omitzero"`
	Checked time.Time `json:"checked,omitzero"`
	// LastError is the last failure's message (redacted), with its time;
	// Failures counts the failures since the last success.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Failures    int       `json:"failures,omitempty"`
}

// sourceID identifies a source by its URL (secrets included: a changed
// token is another view of the feed) and format. It stays in memory: the
// metadata holds its HMAC under the cache's secret (Key), never a plain
// hash, which would let anyone reading the cache test guesses of a token
// or password offline.
func sourceID(s SourceConfig) string {
	return s.Format + "\x00" + s.URL + "\x00" + s.User + "\x00" + s.Token
}

// keyOf is the Key of the source id under secret.
func keyOf(secret []byte, id string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// legacyKeyOf is the Key caches written before the secret hold: a plain
// SHA-256 of id. It is still accepted on load, so that an upgrade keeps the
// cached lists; the next save replaces it with keyOf.
func legacyKeyOf(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:16])
}

// secretFile is the cache's secret beside the lists (a source name cannot
// start with a dot): secretSize random bytes, mode 0600, made with the
// first save.
const (
	secretFile = ".key"
	secretSize = 32
)

// secret reads the cache's secret; without one it makes it when create is
// set (the folder too), else returns nil.
func (c cache) secret(create bool) ([]byte, error) {
	path := filepath.Join(c.dir, secretFile)
	b, err := boundedfile.Read(path, 2*secretSize)
	if errors.Is(err, fs.ErrNotExist) && create {
		if err := c.makeSecret(path); err != nil {
			return nil, fmt.Errorf("cache secret: %w", err)
		}
		b, err = boundedfile.Read(path, 2*secretSize)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("cache secret: %w", err)
	case len(b) != secretSize:
		return nil, fmt.Errorf("cache secret %s: %d bytes, want %d (remove it: the lists are then fetched afresh)", path, len(b), secretSize)
	}
	return b, nil
}

// makeSecret writes a new secret at path, whole or not at all: written to
// a temporary file, then linked to path unless another process made one
// first (then that one stays).
func (c cache) makeSecret(path string) error {
	if err := c.mkdir(); err != nil {
		return err
	}
	b := make([]byte, secretSize)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	f, err := os.CreateTemp(c.dir, secretFile+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	chownLike(tmp, c.dir)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// mkdir makes the state folder when it is missing, owned like its parent.
func (c cache) mkdir() error {
	if _, err := os.Stat(c.dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(c.dir, 0o750); err != nil {
			return err
		}
		chownLike(c.dir, filepath.Dir(c.dir))
	}
	return nil
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// cache is the state folder.
type cache struct{ dir string }

func (c cache) metaPath(name string) string { return filepath.Join(c.dir, name+".json") }
func (c cache) dataPath(name string) string { return filepath.Join(c.dir, name+".data") }

// load reads the metadata and data of name for the source id. A missing
// cache, or one of another source, is (nil, nil, nil); a damaged one is an
// error.
func (c cache) load(name, id string) (*meta, []byte, error) {
	mb, err := boundedfile.Read(c.metaPath(name), maxMetaBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cache: %w", err)
	}
	var m meta
	if err := json.Unmarshal(mb, &m); err != nil || m.Version != cacheVersion {
		return nil, nil, fmt.Errorf("cache %s: not a list cache of this version; ignored", c.metaPath(name))
	}
	secret, err := c.secret(false)
	if err != nil {
		return nil, nil, err
	}
	if (secret == nil || !hmac.Equal([]byte(m.Key), []byte(keyOf(secret, id)))) && m.Key != legacyKeyOf(id) {
		return nil, nil, nil // another source had this name: start afresh
	}
	if m.DataSHA256 == "" {
		return &m, nil, nil
	}
	data, err := boundedfile.Read(c.dataPath(name), maxDataBytes)
	if err != nil {
		return &m, nil, fmt.Errorf("cache: %w", err)
	}
	if sha(data) != m.DataSHA256 {
		return &m, nil, fmt.Errorf("cache %s: its checksum does not match; ignored", c.dataPath(name))
	}
	return &m, data, nil
}

// save writes data (when not nil) and then the metadata of the source id,
// its Key set.
func (c cache) save(name, id string, m *meta, data []byte) error {
	if err := c.mkdir(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	secret, err := c.secret(true)
	if err != nil {
		return err
	}
	m.Version, m.Key = cacheVersion, keyOf(secret, id)
	if data != nil {
		if err := writeAtomic(c.dataPath(name), data); err != nil {
			return err
		}
		m.DataSHA256 = sha(data)
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(c.metaPath(name), append(mb, '\n'))
}

// writeAtomic replaces path with b: a temporary file in the same folder,
// synced, renamed over path, the folder synced.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o640)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		chownLike(tmp, dir)
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("cache: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

package taxiitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Bounds of Client.ReadAll: a page's body and the number of pages.
const (
	MaxPageBytes = 16 << 20
	MaxPages     = 10_000
)

// Client reads a TAXII 2.1 collection as a consumer does.
type Client struct {
	// HTTP is the client to use (http.DefaultClient when nil).
	HTTP *http.Client
	// User and Password (HTTP Basic) or Token (Bearer), optional.
	User, Password, Token string
}

// Page is one page of a collection's objects.
type Page struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// GetPage GETs collectionURL's objects endpoint with query (limit, next,
// filters) and returns the envelope; any status other than 200 is an
// error with the status.
func (c *Client) GetPage(ctx context.Context, collectionURL string, query url.Values) (*Page, error) {
	u, err := url.Parse(collectionURL)
	if err != nil {
		return nil, fmt.Errorf("taxii collection URL: %w", err)
	}
	u = u.JoinPath("objects/")
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaType)
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxPageBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPageBytes {
		return nil, fmt.Errorf("taxii page over %d bytes", MaxPageBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("taxii GET objects: HTTP %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !isTAXII(ct) {
		return nil, fmt.Errorf("taxii GET objects: content type %q, want %s", ct, MediaType)
	}
	var p Page
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("taxii GET objects: not an envelope: %w", err)
	}
	return &p, nil
}

// ReadAll reads every object of the collection (the server's default
// version filter: the last version of each object), limit objects a page,
// following next while more is true; it returns the objects and the number
// of pages.
func (c *Client) ReadAll(ctx context.Context, collectionURL string, limit int) ([]map[string]any, int, error) {
	var objs []map[string]any
	next := ""
	for pages := 1; pages <= MaxPages; pages++ {
		q := url.Values{}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		if next != "" {
			q.Set("next", next)
		}
		p, err := c.GetPage(ctx, collectionURL, q)
		if err != nil {
			return objs, pages, err
		}
		for _, raw := range p.Objects {
			var o map[string]any
			if err := json.Unmarshal(raw, &o); err != nil {
				return objs, pages, fmt.Errorf("taxii page %d: an object is not JSON: %w", pages, err)
			}
			objs = append(objs, o)
		}
		if !p.More {
			return objs, pages, nil
		}
		if p.Next == "" {
			return objs, pages, errors.New("taxii: more is true without next")
		}
		next = p.Next
	}
	return objs, MaxPages, fmt.Errorf("taxii: more than %d pages", MaxPages)
}

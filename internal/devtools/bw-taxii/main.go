// Command bw-taxii runs the TAXII 2.1 test server of share/taxiitest, and
// reads a TAXII collection back as a consumer does: the lab's TAXII
// scenario uses both, and `read` works against any TAXII 2.1 server
// (medallion, by hand).
//
//	bw-taxii serve -listen 127.0.0.1:9099 -user gw1 -password-file PW
//	bw-taxii read -collection URL -user gw1 -password-file PW [-limit 50] [-out bundle.json]
//
// serve prints the collection URL once it listens and runs until SIGINT
// or SIGTERM. read writes the objects (the last version of each) as one
// STIX 2.1 bundle to -out, and prints the object counts by type and the
// number of pages on standard output.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/borderwatch/borderwatch/internal/boundedfile"
	"github.com/borderwatch/borderwatch/share/taxiitest"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "read":
		err = read(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bw-taxii:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bw-taxii serve -listen ADDR [-user U -password-file F] | read -collection URL [-user U -password-file F] [-limit N] [-out FILE]")
	os.Exit(2)
}

// password reads a one-line password file; "" without one.
func password(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := boundedfile.Read(path, 4<<10)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:9099", "address to listen on")
	user := fs.String("user", "", "HTTP Basic user (none: no authentication)")
	pwFile := fs.String("password-file", "", "file holding the user's password")
	maxContent := fs.Int("max-content-length", taxiitest.DefaultMaxContentLength, "the API root's max_content_length")
	pageSize := fs.Int("page-size", taxiitest.DefaultPageSize, "most objects per page")
	_ = fs.Parse(args)
	pw, err := password(*pwFile)
	if err != nil {
		return err
	}
	if (*user == "") != (pw == "") {
		return errors.New("-user and -password-file go together")
	}
	srv := taxiitest.New(taxiitest.Options{User: *user, Password: pw, MaxContentLength: *maxContent, PageSize: *pageSize})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv.URL = "http://" + ln.Addr().String()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	fmt.Println(srv.CollectionURL())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintf(os.Stderr, "bw-taxii: served %d requests, %d posts, %d object versions stored\n", srv.Requests(), srv.Posts(), len(srv.Objects()))
	return nil
}

func read(args []string) error {
	fs := flag.NewFlagSet("read", flag.ExitOnError)
	coll := fs.String("collection", "", "collection URL, http(s)://HOST/API-ROOT/collections/ID/")
	user := fs.String("user", "", "HTTP Basic user")
	pwFile := fs.String("password-file", "", "file holding the user's password")
	limit := fs.Int("limit", 50, "objects per page")
	out := fs.String("out", "", "write the objects as a STIX 2.1 bundle to this file")
	_ = fs.Parse(args)
	if *coll == "" {
		return errors.New("read: -collection is required")
	}
	pw, err := password(*pwFile)
	if err != nil {
		return err
	}
	c := &taxiitest.Client{HTTP: &http.Client{Timeout: 30 * time.Second}, User: *user, Password: pw}
	objs, pages, err := c.ReadAll(context.Background(), *coll, *limit)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, o := range objs {
		t, _ := o["type"].(string)
		counts[t]++
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		if counts[types[i]] != counts[types[j]] {
			return counts[types[i]] > counts[types[j]]
		}
		return types[i] < types[j]
	})
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%d %s", counts[t], t))
	}
	fmt.Printf("%d objects in %d pages: %s\n", len(objs), pages, strings.Join(parts, ", "))
	if *out != "" {
		b, err := json.MarshalIndent(map[string]any{"type": "bundle", "id": "bundle--2f4b1c6e-5a3d-4e8f-9b7a-0c1d2e3f4a5b", "objects": objs}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

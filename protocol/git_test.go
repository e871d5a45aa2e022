package protocol

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseGitRequest(t *testing.T) {
	in := "protocol=https\r\nhost=acme.example.com\ncapability[]=authtype\ncapability[]=state\nwwwauth[]=Bearer a\nwwwauth[]=\nunknown=kept\nhost=override\n\nafter=blank\n"
	req, err := ParseGitRequest(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if req.Get("protocol") != "https" || req.Get("host") != "override" || req.Get("unknown") != "kept" || req.Get("after") != "" {
		t.Fatalf("fields = %v", req.Fields)
	}
	if !req.Has("capability", "authtype") || !req.Has("capability", "state") || req.Has("capability", "x") {
		t.Fatalf("lists = %v", req.Lists)
	}
	if _, ok := req.Lists["wwwauth"]; ok {
		t.Fatalf("wwwauth[]= with an empty value must clear the list: %v", req.Lists)
	}
}

func TestParseGitRequestEnds(t *testing.T) {
	for _, in := range []string{"", "\n", "host=a", "host=a\n", "host=a\n\n"} {
		req, err := ParseGitRequest(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if strings.Contains(in, "host") && req.Get("host") != "a" {
			t.Fatalf("%q: host = %q", in, req.Get("host"))
		}
	}
}

func TestParseGitRequestErrors(t *testing.T) {
	tests := map[string]string{
		"no equals":   "protocol\n",
		"empty key":   "=x\n",
		"nul":         "host=a\x00b\n",
		"long line":   "host=" + strings.Repeat("a", MaxGitLine) + "\n",
		"huge":        strings.Repeat("k=v\n", MaxRequest/4+1),
		"bad utf8key": "\xff=x\n",
	}
	for name, in := range tests {
		_, err := ParseGitRequest(strings.NewReader(in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error = %v, want *ParseError", name, err)
		}
	}
}

func TestWriteGitCredentialOrder(t *testing.T) {
	var b bytes.Buffer
	if err := WriteGitCredential(&b, GitCredential{Username: "Alice", Token: "tok", Expiry: 1795424400}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "username=Alice\npassword=tok\npassword_expiry_utc=1795424400\n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	b.Reset()
	if err := WriteGitCredential(&b, GitCredential{Username: "Alice", Token: "tok", Expiry: 5, Bearer: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "capability[]=authtype\nauthtype=Bearer\ncredential=tok\nephemeral=true\npassword_expiry_utc=5\n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestFormatGitRefusesNewlines(t *testing.T) {
	var b bytes.Buffer
	if err := WriteGitCredential(&b, GitCredential{Username: "a\nb", Token: "t"}); err == nil || b.Len() != 0 {
		t.Fatalf("err = %v, wrote %q", err, b.String())
	}
}

func ExampleWriteGitCredential() {
	_ = WriteGitCredential(os.Stdout, GitCredential{Username: "ALICE", Token: "eyJ...", Expiry: 1795424400})
	// Output:
	// username=ALICE
	// password=eyJ...
	// password_expiry_utc=1795424400
}

func FuzzParseGitRequest(f *testing.F) {
	f.Add([]byte("protocol=https\nhost=a\ncapability[]=authtype\n\n"))
	f.Add([]byte("a=b\r\nc[]=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ParseGitRequest(bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		// Round trip what was parsed: format it and parse it again.
		var attrs []Attr
		for k, v := range req.Fields {
			attrs = append(attrs, Attr{k, v})
		}
		for k, vs := range req.Lists {
			for _, v := range vs {
				attrs = append(attrs, Attr{k + "[]", v})
			}
		}
		var b bytes.Buffer
		if err := FormatGit(&b, attrs); err != nil {
			// A value ending in CR cannot be written (git would strip it).
			return
		}
		back, err := ParseGitRequest(&b)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if !reflect.DeepEqual(back.Fields, req.Fields) || !reflect.DeepEqual(back.Lists, req.Lists) {
			t.Fatalf("round trip changed the request:\n%q\n%q", req, back)
		}
	})
}

func ExampleFormatGit() {
	_ = FormatGit(os.Stdout, []Attr{{"protocol", "https"}, {"host", "acme.example.com"}, {"capability[]", "authtype"}})
	// Output:
	// protocol=https
	// host=acme.example.com
	// capability[]=authtype
}

package keystoretest

import (
	"bytes"
	"errors"
	"testing"

	"tdjwt/keystore"
)

func TestMemoryLimit(t *testing.T) {
	m := NewMemory()
	m.Limit = 2560
	if err := m.Set("a", bytes.Repeat([]byte("x"), 2561)); !errors.Is(err, keystore.ErrTooBig) {
		t.Fatalf("%v", err)
	}
	if err := m.Set("a", bytes.Repeat([]byte("x"), 2560)); err != nil {
		t.Fatal(err)
	}
}

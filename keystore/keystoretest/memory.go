// Package keystoretest is an in-memory keystore.Store for tests, kept out
// of the shipped binary (the net/http/httptest pattern).
package keystoretest

import (
	"fmt"
	"sync"

	"tdjwt/keystore"
)

// Memory is an in-memory Store for tests. Limit, when positive, rejects
// values longer than it, as Windows' Credential Manager does at 2,560 bytes.
type Memory struct {
	mu    sync.Mutex
	items map[string][]byte
	Limit int
	Gets  int // how many Get calls reached the store
	// Fail, when set, is returned by every call, as an unreachable store.
	Fail error
}

var _ keystore.Store = (*Memory)(nil)

func NewMemory() *Memory { return &Memory{items: map[string][]byte{}} }

func (m *Memory) Spec() string { return "memory" }

func (m *Memory) Get(item string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Gets++
	if m.Fail != nil {
		return nil, &keystore.Error{Op: "read", Store: "memory", Item: item, Err: m.Fail}
	}
	v, ok := m.items[item]
	if !ok {
		return nil, &keystore.Error{Op: "read", Store: "memory", Item: item, Err: keystore.ErrNotFound}
	}
	return append([]byte(nil), v...), nil
}

func (m *Memory) Set(item string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return &keystore.Error{Op: "write", Store: "memory", Item: item, Err: m.Fail}
	}
	if m.Limit > 0 && len(value) > m.Limit {
		return &keystore.Error{Op: "write", Store: "memory", Item: item, Err: fmt.Errorf("%w (%d bytes, limit %d)", keystore.ErrTooBig, len(value), m.Limit)}
	}
	m.items[item] = append([]byte(nil), value...)
	return nil
}

func (m *Memory) Delete(item string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return &keystore.Error{Op: "delete", Store: "memory", Item: item, Err: m.Fail}
	}
	delete(m.items, item)
	return nil
}

// Items lists the item names, for tests.
func (m *Memory) Items() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for k := range m.items {
		names = append(names, k)
	}
	return names
}

// MaxValue reports Limit, so that callers split values as for a keychain.
func (m *Memory) MaxValue() int { return m.Limit }

package helper

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"tdjwt/keystore"
)

// A profile's secrets go in one keystore item when they fit. When the store
// has a size limit (Windows, macOS) and they do not (an RSA-4096 key), the
// value is split across part items and the profile's item holds a small
// index: the parts' names and the SHA-256 of the whole, checked on read.
// Part names carry the login's generation, so a re-login writes new parts
// before switching the index and never breaks the previous login midway.

type partIndex struct {
	V      int      `json:"v"`
	Parts  []string `json:"parts"`
	SHA256 string   `json:"sha256"`
}

// putItem writes data for name, split if the store needs it; it returns the
// part items written (to remove them if a later step fails).
func putItem(s keystore.Store, name, gen string, data []byte) (parts []string, err error) {
	limit := s.MaxValue()
	if limit <= 0 || len(data) <= limit {
		return nil, s.Set(name, data)
	}
	sum := sha256.Sum256(data)
	idx := partIndex{V: itemVersion, SHA256: hex.EncodeToString(sum[:])}
	for i := 0; len(data) > 0; i++ {
		n := min(limit, len(data))
		part := fmt.Sprintf("%s#%s.%d", name, gen[:8], i+1)
		if err := s.Set(part, data[:n]); err != nil {
			deleteParts(s, idx.Parts)
			return nil, err
		}
		idx.Parts = append(idx.Parts, part)
		data = data[n:]
	}
	head, _ := json.Marshal(idx)
	if err := s.Set(name, head); err != nil {
		deleteParts(s, idx.Parts)
		return nil, err
	}
	return idx.Parts, nil
}

// getItem reads name's value, reassembling and checking parts.
func getItem(s keystore.Store, name string) ([]byte, error) {
	data, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	return assemble(s, name, data)
}

// assemble returns the whole value of an item whose own value is data:
// data itself, or the parts its index names, checked against its digest.
func assemble(s keystore.Store, name string, data []byte) ([]byte, error) {
	idx, ok := parseIndex(data)
	if !ok {
		return data, nil
	}
	var whole []byte
	for _, p := range idx.Parts {
		b, err := s.Get(p)
		if err != nil {
			return nil, err
		}
		whole = append(whole, b...)
	}
	sum := sha256.Sum256(whole)
	if hex.EncodeToString(sum[:]) != idx.SHA256 {
		return nil, fail(CodeBadInput, "the keystore items of profile "+name+" do not fit together (a part was changed or lost)",
			"run tdjwt login --profile "+name+" again")
	}
	return whole, nil
}

// itemParts lists the part items an item value refers to.
func itemParts(data []byte) []string {
	if idx, ok := parseIndex(data); ok {
		return idx.Parts
	}
	return nil
}

func parseIndex(data []byte) (partIndex, bool) {
	var idx partIndex
	if json.Unmarshal(data, &idx) != nil || idx.V != itemVersion || len(idx.Parts) == 0 || idx.SHA256 == "" {
		return idx, false
	}
	return idx, true
}

func deleteParts(s keystore.Store, parts []string) {
	for _, p := range parts {
		s.Delete(p)
	}
}

// deleteItem removes name and its parts.
func deleteItem(s keystore.Store, name string) error {
	if data, err := s.Get(name); err == nil {
		deleteParts(s, itemParts(data))
	}
	return s.Delete(name)
}

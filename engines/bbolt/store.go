// The bbolt side of the adapter: one database file, data.db, in the
// directory of `open`, and one bucket in it holding every key. Each protocol
// transaction is one db.Update; recovery is bbolt's own (bolt.Open picks the
// valid meta page with the higher transaction id).
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	dataFile = "data.db"
	fileMode = 0644
	// bolt.Open waits this long for the file's flock. Only one process of a
	// case opens the file at a time; a wait means a bug, and an error says so
	// sooner than crashlab's deadline would.
	lockTimeout = 2 * time.Second
	// The exit status after a commit that failed with an unknown outcome.
	ambiguousCommitExit = 3
	// check reports at most this many of bbolt's findings.
	maxCheckErrors = 5
)

// The one bucket. Created by the first transaction that writes, inside that
// transaction, so that `open` commits nothing of its own and a database with
// no bucket yet is an empty one.
var bucketName = []byte("crashlab")

type op struct {
	put        bool
	key, value []byte
}

func (o op) verb() string {
	if o.put {
		return "put"
	}
	return "del"
}

type kv struct{ key, value []byte }

type store struct {
	noSync bool
	// dirSync: fsync dir after bolt.Open (the default-dirsync variant).
	dirSync bool
	dir     string
	db      *bolt.DB // nil while closed
}

// syncDir fsyncs the directory dir, making the names in it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot open directory %s to sync it: %v", dir, err)
	}
	defer f.Close()
	// DURABILITY: makes the names in dir durable; the caller says which.
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync of directory %s failed: %v", dir, err)
	}
	return nil
}

// makeDirsDurably is mkdir -p dir, syncing the parent of each directory it
// creates, as engines/adapter/durable_dirs.cc does for the C++ adapters.
func makeDirsDurably(dir string) error {
	clean := filepath.Clean(dir)
	if parent := filepath.Dir(clean); parent != clean {
		if err := makeDirsDurably(parent); err != nil {
			return err
		}
	}
	err := os.Mkdir(clean, 0755)
	if err == nil {
		// DURABILITY: bbolt never syncs a directory, so without this a power
		// loss could drop the directory the adapter made, and with it a
		// database whose commits bbolt had synced.
		return syncDir(filepath.Dir(clean))
	}
	if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("cannot create directory %s: %v", clean, err)
	}
	if info, statErr := os.Stat(clean); statErr != nil || !info.IsDir() {
		return fmt.Errorf("%s exists but is not a directory; pass a directory to open", clean)
	}
	return nil
}

// open creates dir when absent and opens (creating when absent) its data.db.
// Unless dirSync is set, the adapter adds no sync of its own: whether the name
// data.db survives a power loss is bbolt's doing, and what crashlab judges.
func (s *store) open(dir string) error {
	if err := makeDirsDurably(dir); err != nil {
		return err
	}
	path := filepath.Join(dir, dataFile)
	db, err := bolt.Open(path, fileMode, &bolt.Options{NoSync: s.noSync, Timeout: lockTimeout})
	if err != nil {
		return fmt.Errorf("bbolt: open %s: %v", path, err)
	}
	if s.dirSync {
		// DURABILITY: bolt.Open may have just created data.db (O_CREAT) and
		// synced only the file (DB.init's fdatasync). Without this fsync of
		// the directory, a power loss may drop the name data.db after commits
		// were acknowledged, and the next open creates an empty database.
		// bbolt 1.3.6 never does this; the default-dirsync variant shows that
		// it is the one sync the default variant lacks.
		if err := syncDir(dir); err != nil {
			_ = db.Close()
			return err
		}
	}
	s.dir, s.db = dir, db
	return nil
}

// commit runs ops as one db.Update. An error from an operation rolls the
// transaction back before anything is written, so `err` is truthful. A
// failure of tx.Commit itself may come after some pages or the meta page
// were written: its outcome is unknown, so the process says so on stderr and
// exits, as docs/engine-protocol.md asks.
func (s *store) commit(ops []op) error {
	var opErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketName)
		if err != nil {
			opErr = fmt.Errorf("bbolt: creating the bucket: %v", err)
			return opErr
		}
		for _, o := range ops {
			if o.put {
				err = b.Put(o.key, o.value)
			} else {
				err = b.Delete(o.key) // nil for an absent key
			}
			if err != nil {
				opErr = fmt.Errorf("bbolt: %s of key %s: %v; nothing was committed",
					o.verb(), encode(o.key), err)
				return opErr
			}
		}
		return nil
	})
	// DURABILITY: `ok` may only follow db.Update's nil: by then tx.Commit has
	// written the pages and the meta page, each followed by fdatasync unless
	// the variant sets NoSync. The adapter adds no sync here.
	if err == nil || opErr != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "crashlab-engine-bbolt: commit on %s failed with an unknown outcome: %v; exiting\n",
		s.dir, err)
	os.Exit(ambiguousCommitExit)
	return nil
}

// get returns the value of key, or nil and false when it is absent.
func (s *store) get(key []byte) (value []byte, found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketName); b != nil {
			if v := b.Get(key); v != nil {
				// Copied: v points into the map, valid only inside the transaction.
				value, found = append([]byte{}, v...), true
			}
		}
		return nil
	})
	return value, found, err
}

// dump returns every pair, in bbolt's key order.
func (s *store) dump() ([]kv, error) {
	var pairs []kv
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return fmt.Errorf("bbolt: key %s holds a nested bucket, which this adapter never makes",
					encode(k))
			}
			pairs = append(pairs, kv{append([]byte{}, k...), append([]byte{}, v...)})
			return nil
		})
	})
	return pairs, err
}

// check runs bbolt's own consistency check, tx.Check: every page reachable
// once, freed pages not reachable, keys in order within each page.
func (s *store) check() error {
	var findings []string
	total := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		for finding := range tx.Check() {
			if total++; total <= maxCheckErrors {
				findings = append(findings, finding.Error())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if total > 0 {
		return fmt.Errorf("bbolt: tx.Check of %s found %d problem(s): %s", s.dir, total,
			strings.Join(findings, "; "))
	}
	return nil
}

func (s *store) close() error {
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("bbolt: close %s: %v", s.dir, err)
	}
	return nil
}

// isOpen tells whether a database is open.
func (s *store) isOpen() bool { return s.db != nil }

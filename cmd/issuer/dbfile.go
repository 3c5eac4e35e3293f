package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// dbFileProblems reports what lets other users read or replace the
// database file at path, which holds the private signing keys: a file
// that group or others may read or write, or a directory they may write
// without the sticky bit (they could swap the file). A missing file is no
// problem: bbolt creates it 0600. Windows has no such mode bits.
func dbFileProblems(path string) ([]string, error) {
	if runtime.GOOS == "windows" {
		return nil, nil
	}
	var problems []string
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("db: %w", err)
	case info.Mode().Perm()&0o077 != 0:
		problems = append(problems, fmt.Sprintf("the database %s (mode %04o) is open to other users: chmod 600 it", path, info.Mode().Perm()))
	}
	dir := filepath.Dir(path)
	dinfo, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	if dinfo.Mode().Perm()&0o022 != 0 && dinfo.Mode()&fs.ModeSticky == 0 {
		problems = append(problems, fmt.Sprintf("the database's directory %s (mode %04o) is writable by other users, who could replace the database: chmod go-w it", dir, dinfo.Mode().Perm()))
	}
	return problems, nil
}

// checkDBFile refuses a database file open to other users, unless allow
// says the operator means it; then it only warns.
func checkDBFile(path string, allow bool, log *slog.Logger) error {
	problems, err := dbFileProblems(path)
	if err != nil || len(problems) == 0 {
		return err
	}
	for _, p := range problems {
		log.Warn("database permissions: "+p, "allow_insecure_db", allow)
	}
	if allow {
		return nil
	}
	return fmt.Errorf("db: %s; it holds the private signing keys (start with --allow-insecure-db to use it as it is)", problems[0])
}

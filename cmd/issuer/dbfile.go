package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"issuer/storage/bolt"
)

// afterDBCheck, when set (by tests), runs between the check of the
// database path and its opening: when another user would swap the file.
var afterDBCheck func()

// openDB opens the database of s after checking its path, and has
// bolt.Open check the file it opened before writing to it.
func openDB(s *settings, log *slog.Logger) (*bolt.Store, error) {
	if err := checkDBFile(s.DB, s.AllowInsecureDB, log); err != nil {
		return nil, err
	}
	if afterDBCheck != nil {
		afterDBCheck()
	}
	return bolt.Open(s.DB, bolt.Options{Timeout: time.Second, Logger: log, CheckFile: checkOpenedDB(s.DB, s.AllowInsecureDB, log)})
}

// dbFileProblems reports what lets other users read or replace the
// database file at path, which holds the private signing keys, before it
// is opened:
//   - a symbolic link: the checks would be about the link's directory, not
//     the file's; the operator gives the file's own path instead;
//   - a file that is no regular file, that group or others may read or
//     write, or that another user owns (fileProblems);
//   - a directory that group or others may write without the sticky bit
//     (they could swap the file), or at all when the file does not exist
//     yet (they could create it first, sticky bit or not); a directory
//     owned by another user than this one or root (its owner could open it
//     to others at any time).
//
// Windows has no such mode bits. bolt.Open runs fileProblems again on the
// file it opened (checkOpenedDB), so that a file swapped in after this
// check is caught too.
func dbFileProblems(path string) ([]string, error) {
	if runtime.GOOS == "windows" {
		return nil, nil
	}
	var problems []string
	info, err := os.Lstat(path)
	exists := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("db: %w", err)
	case info.Mode()&fs.ModeSymlink != 0:
		problems = append(problems, fmt.Sprintf("the database %s is a symbolic link: give the path of the file itself, so that its own directory is checked", path))
	default:
		problems = append(problems, fileProblems("the database "+path, info)...)
	}
	dir := filepath.Dir(path)
	dinfo, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("db: the directory %s does not exist: create it, or give --db a file in another", dir)
	case err != nil:
		return nil, fmt.Errorf("db: %w", err)
	case !dinfo.IsDir():
		return nil, fmt.Errorf("db: %s is not a directory", dir)
	}
	return append(problems, dirProblems(dir, dinfo, exists)...), nil
}

// fileProblems reports what is wrong with the database file info
// describes, named name in the messages.
func fileProblems(name string, info fs.FileInfo) []string {
	var problems []string
	if !info.Mode().IsRegular() {
		problems = append(problems, fmt.Sprintf("%s is not a regular file", name))
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		problems = append(problems, fmt.Sprintf("%s (mode %04o) is open to other users: chmod 600 it", name, perm))
	}
	if uid, ok := fileOwner(info); ok && uid != os.Geteuid() {
		problems = append(problems, fmt.Sprintf("%s is owned by uid %d, not by this user (uid %d), who may read or replace it: chown it", name, uid, os.Geteuid()))
	}
	return problems
}

// dirProblems reports what lets other users replace, or create first, the
// database file in dir, which info describes.
func dirProblems(dir string, info fs.FileInfo, fileExists bool) []string {
	var problems []string
	perm := info.Mode().Perm()
	switch {
	case perm&0o022 == 0:
	case !fileExists:
		problems = append(problems, fmt.Sprintf("the database does not exist yet and its directory %s (mode %04o) is writable by other users, who could create it first: chmod go-w it, or keep the database in a directory of its own", dir, perm))
	case info.Mode()&fs.ModeSticky == 0:
		problems = append(problems, fmt.Sprintf("the database's directory %s (mode %04o) is writable by other users, who could replace the database: chmod go-w it", dir, perm))
	}
	if uid, ok := fileOwner(info); ok && uid != os.Geteuid() && uid != 0 {
		problems = append(problems, fmt.Sprintf("the database's directory %s is owned by uid %d, neither this user (uid %d) nor root, who could open it to others: chown it", dir, uid, os.Geteuid()))
	}
	return problems
}

// checkDBFile refuses a database file open to other users, unless allow
// says the operator means it; then it only warns.
func checkDBFile(path string, allow bool, log *slog.Logger) error {
	problems, err := dbFileProblems(path)
	if err != nil {
		return err
	}
	return refuseOrWarn(problems, allow, log)
}

// checkOpenedDB is the check bolt.Open runs on the file it opened, before
// writing to it: fileProblems of what fstat says, so that the decision is
// about the file opened, not about a path checked earlier (a file swapped
// in between is refused too).
func checkOpenedDB(path string, allow bool, log *slog.Logger) func(fs.FileInfo) error {
	return func(info fs.FileInfo) error {
		if runtime.GOOS == "windows" {
			return nil
		}
		return refuseOrWarn(fileProblems("the database file opened at "+path, info), allow, log)
	}
}

// refuseOrWarn logs every problem, then refuses the first unless allow.
func refuseOrWarn(problems []string, allow bool, log *slog.Logger) error {
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		log.Warn("database permissions: "+p, "allow_insecure_db", allow)
	}
	if allow {
		return nil
	}
	return fmt.Errorf("db: %s; it holds the private signing keys (start with --allow-insecure-db to use it as it is)", problems[0])
}

package auth

import (
	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the work factor of password hashes: 2^10 rounds, as
// Cassandra's auth_bcrypt_gensalt_log2_rounds default (tens of
// milliseconds a check, which is what makes guessing slow).
const BcryptCost = 10

// HashPassword returns the bcrypt hash of a password, as
// system_auth.roles.salted_hash keeps it.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	return string(h), err
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// DefaultSuperuser is the superuser a new cluster gets, with this name as
// its password unless the operator gives another, as Cassandra's.
const DefaultSuperuser = "cassandra"

// BadCredentials is a refused login; Msg is what the client is told.
type BadCredentials struct{ Msg string }

func (e *BadCredentials) Error() string { return e.Msg }

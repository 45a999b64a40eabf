// Package term analyzes and evaluates the values of statements: literals,
// bind markers, collection, tuple and user type literals, function calls
// and arithmetic, each analyzed against the receiver it is for (a column
// or a pseudo column such as [limit]) and evaluated with a statement's
// bound values (Binder). Package plan builds selections and restrictions
// from them.
package term

// Package audit records every mutating request to the console, allowed or
// refused: one structured Record per request, written as a JSON line to a
// writer (the audit log) and, where the request names an object, as a
// core/v1 Event on that object.
//
// The Middleware opens a Details for each mutating request under /api/v1
// before anything can refuse it (CORS, authentication, rate limits), so
// refused requests are recorded too. The write pipeline fills the Details in
// (operation, objects, policy decision, sink result) through From; the
// middleware completes the Record from the answer once the handler returns.
//
// Secret values never reach a record: the credential values a request
// carries (in its body or its Authorization header) are collected before
// the handler runs and scrubbed, clear and base64-encoded, from every
// string of the record and of the Event.
package audit

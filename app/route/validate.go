package route

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// Patterns of the CRD (Gateway API v1 types), verbatim.
var (
	durationPattern   = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)
	hostnamePattern   = regexp.MustCompile(`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	headerNamePattern = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`)
)

// Messages shared with the API server, or used more than once.
const (
	msgRuleNameReserved  = "rule name route-not-found is reserved"
	msgRuleNameUnique    = "rule name must be unique within the route"
	msgBackendRequest    = "backendRequest timeout cannot be longer than request timeout"
	msgDuration          = "must be a Gateway API duration: 1 to 4 groups of up to 5 digits, each followed by h, m, s or ms, such as 60s, 1m30s or 500ms"
	msgControlCharacters = "must not contain control characters"
	msgSameParent        = "sectionName or port must be specified when parentRefs includes 2 or more references to the same parent"
)

// Validate checks a Spec for the namespace against every limit and CEL rule
// of the AIGatewayRoute CRD, and of the HTTPRoute the controller generates
// from it, so that mistakes come back with a field path before the API
// server is asked. It needs no live state; CheckBackends and
// CheckModelCollisions do the checks that do.
//
// Paths are relative to the Spec's JSON, such as
// "rules[0].backends[1].weight"; the namespace is reported as "namespace".
// An empty list means the Spec is valid, and Render will accept it.
func Validate(namespace string, s Spec) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateNamespace(namespace, field.NewPath("namespace"))...)
	errs = append(errs, validateName(s.Name, field.NewPath("name"))...)
	errs = append(errs, validateGateways(namespace, s.Gateways, field.NewPath("gateways"))...)
	errs = append(errs, validateHostnames(s.Hostnames, field.NewPath("hostnames"))...)
	errs = append(errs, validateRules(s.Rules, field.NewPath("rules"))...)
	errs = append(errs, validateCosts(s.LLMRequestCosts, field.NewPath("llmRequestCosts"))...)
	return errs
}

func validateNamespace(ns string, p *field.Path) field.ErrorList {
	if ns == "" {
		return field.ErrorList{field.Required(p, "set the ?namespace= query parameter")}
	}
	return dns1123Label(ns, p)
}

func validateName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if len(name) > maxNameLen {
		e := field.TooLong(p, name, maxNameLen)
		e.Detail += fmt.Sprintf(" (the name is also the value of the %s label)", LabelRoute)
		return field.ErrorList{e}
	}
	errs := dns1123Subdomain(name, p)
	if strings.HasPrefix(name, reservedNamePrefix) {
		errs = append(errs, field.Invalid(p, name, "names starting with "+reservedNamePrefix+
			" are reserved for the objects the AI Gateway controller generates"))
	}
	return errs
}

func validateGateways(namespace string, gateways []GatewayRef, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case len(gateways) == 0:
		return field.ErrorList{field.Required(p, "a route must attach to at least one Gateway")}
	case len(gateways) > maxGateways:
		errs = append(errs, field.TooMany(p, len(gateways), maxGateways))
	}
	// The generated HTTPRoute carries the same parentRefs, and the
	// HTTPRoute CRD rejects two references to one Gateway unless each names
	// its own listener.
	refs := make(map[gatewayKey]int, len(gateways))
	for _, g := range gateways {
		refs[resolveGateway(namespace, g)]++
	}
	seen := make(map[GatewayRef]bool, len(gateways))
	for i, g := range gateways {
		gp := p.Index(i)
		if g.Name == "" {
			errs = append(errs, field.Required(gp.Child("name"), ""))
		} else {
			errs = append(errs, dns1123Subdomain(g.Name, gp.Child("name"))...)
		}
		if g.Namespace != "" {
			errs = append(errs, dns1123Label(g.Namespace, gp.Child("namespace"))...)
		}
		if g.SectionName != "" {
			errs = append(errs, dns1123Subdomain(g.SectionName, gp.Child("sectionName"))...)
		}
		key := g
		key.Namespace = resolveGateway(namespace, g).namespace
		switch {
		case seen[key]:
			errs = append(errs, field.Duplicate(gp, g))
		case refs[resolveGateway(namespace, g)] > 1 && g.SectionName == "":
			errs = append(errs, field.Invalid(gp.Child("sectionName"), "", msgSameParent))
		}
		seen[key] = true
	}
	return errs
}

func validateHostnames(hostnames []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(hostnames) > maxHostnames {
		errs = append(errs, field.TooMany(p, len(hostnames), maxHostnames))
	}
	seen := make(map[string]bool, len(hostnames))
	for i, h := range hostnames {
		hp := p.Index(i)
		switch {
		case h == "":
			errs = append(errs, field.Required(hp, ""))
		case len(h) > maxHostLen:
			errs = append(errs, field.TooLong(hp, h, maxHostLen))
		case net.ParseIP(h) != nil:
			errs = append(errs, field.Invalid(hp, h, "must be a host name, not an IP address"))
		case !hostnamePattern.MatchString(h):
			errs = append(errs, field.Invalid(hp, h,
				`must be a lowercase RFC 1123 host name, optionally starting with a "*." wildcard label, such as ai.example.com or *.example.com`))
		case seen[h]:
			errs = append(errs, field.Duplicate(hp, h))
		}
		seen[h] = true
	}
	return errs
}

func validateRules(rules []Rule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case len(rules) == 0:
		return field.ErrorList{field.Required(p, "at least one rule is required")}
	case len(rules) > maxRules:
		e := field.TooMany(p, len(rules), maxRules)
		e.Detail += ": an HTTPRoute holds 16 rules and the AI Gateway controller adds the 16th, " +
			aigv1b1.RouteNotFoundRuleName + ", to the one it generates from the route"
		errs = append(errs, e)
	}
	names := make(map[string]bool, len(rules))
	// selectors finds a model listed in two rules with the same extra
	// headers: the second rule could never be chosen for it.
	selectors := make(map[string]int)
	for i, r := range rules {
		rp := p.Index(i)
		errs = append(errs, validateRule(r, rp)...)
		if r.Name != "" {
			if names[r.Name] {
				e := field.Duplicate(rp.Child("name"), r.Name)
				e.Detail = msgRuleNameUnique
				errs = append(errs, e)
			}
			names[r.Name] = true
		}
		headers := headersKey(r.Headers)
		for j, m := range r.Models {
			key := m + "\x00" + headers
			if first, ok := selectors[key]; ok && first != i {
				e := field.Duplicate(rp.Child("models").Index(j), m)
				e.Detail = fmt.Sprintf("rules[%d] already routes this model with the same headers, so this rule would never be used for it", first)
				errs = append(errs, e)
				continue
			}
			selectors[key] = i
		}
	}
	return errs
}

// headersKey identifies a rule's extra headers regardless of order and of
// the case of their names.
func headersKey(headers []HeaderMatch) string {
	parts := make([]string, 0, len(headers))
	for _, h := range headers {
		parts = append(parts, strings.ToLower(h.Name)+"\x00"+string(headerType(h.Type))+"\x00"+h.Value)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x01")
}

func validateRule(r Rule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.Name != "" {
		np := p.Child("name")
		if r.Name == aigv1b1.RouteNotFoundRuleName {
			errs = append(errs, field.Invalid(np, r.Name, msgRuleNameReserved))
		} else {
			errs = append(errs, dns1123Subdomain(r.Name, np)...)
		}
	}
	errs = append(errs, validateModels(r, p)...)
	errs = append(errs, validateHeaders(r.Headers, p.Child("headers"))...)
	errs = append(errs, validateBackends(r.Backends, p.Child("backends"))...)
	if r.Timeouts != nil {
		errs = append(errs, validateTimeouts(*r.Timeouts, p.Child("timeouts"))...)
	}
	if r.StreamIdleTimeout != "" && !durationPattern.MatchString(r.StreamIdleTimeout) {
		errs = append(errs, field.Invalid(p.Child("streamIdleTimeout"), r.StreamIdleTimeout, msgDuration))
	}
	return errs
}

func validateModels(r Rule, p *field.Path) field.ErrorList {
	mp, pp := p.Child("models"), p.Child("modelPattern")
	switch {
	case len(r.Models) > 0 && r.ModelPattern != "":
		return field.ErrorList{field.Invalid(pp, r.ModelPattern,
			"models and modelPattern are mutually exclusive: list the models, or give one pattern")}
	case len(r.Models) == 0 && r.ModelPattern == "":
		return field.ErrorList{field.Required(mp, `list the models the rule routes, or set modelPattern (".*" for every model)`)}
	case r.ModelPattern != "":
		return validateRegex(r.ModelPattern, pp)
	}
	var errs field.ErrorList
	if len(r.Models) > maxMatches {
		e := field.TooMany(mp, len(r.Models), maxMatches)
		e.Detail += ": each model is one match of the rule"
		errs = append(errs, e)
	}
	seen := make(map[string]bool, len(r.Models))
	for j, m := range r.Models {
		ep := mp.Index(j)
		if m != strings.TrimSpace(m) {
			errs = append(errs, field.Invalid(ep, m, "must not start or end with whitespace"))
			continue
		}
		if vErrs := validateHeaderValue(m, ep); len(vErrs) > 0 {
			errs = append(errs, vErrs...)
			continue
		}
		if seen[m] {
			errs = append(errs, field.Duplicate(ep, m))
		}
		seen[m] = true
	}
	return errs
}

func validateHeaders(headers []HeaderMatch, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(headers) > maxHeaders-1 {
		e := field.TooMany(p, len(headers), maxHeaders-1)
		e.Detail += fmt.Sprintf(": a match holds %d headers and the model takes one", maxHeaders)
		errs = append(errs, e)
	}
	seen := make(map[string]bool, len(headers))
	for k, h := range headers {
		hp := p.Index(k)
		np := hp.Child("name")
		switch {
		case h.Name == "":
			errs = append(errs, field.Required(np, ""))
		case len(h.Name) > maxHeaderLen:
			errs = append(errs, field.TooLong(np, h.Name, maxHeaderLen))
		case !headerNamePattern.MatchString(h.Name):
			errs = append(errs, field.Invalid(np, h.Name, "must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~, no spaces"))
		case strings.EqualFold(h.Name, aigv1b1.ModelNameHeader):
			errs = append(errs, field.Invalid(np, h.Name, "the model header is matched through models or modelPattern"))
		case seen[strings.ToLower(h.Name)]:
			errs = append(errs, field.Duplicate(np, h.Name))
		}
		seen[strings.ToLower(h.Name)] = true

		vp := hp.Child("value")
		switch h.Type {
		case "", gwapiv1.HeaderMatchExact:
			errs = append(errs, validateHeaderValue(h.Value, vp)...)
		case gwapiv1.HeaderMatchRegularExpression:
			errs = append(errs, validateRegex(h.Value, vp)...)
		default:
			errs = append(errs, field.NotSupported(hp.Child("type"), h.Type,
				[]gwapiv1.HeaderMatchType{gwapiv1.HeaderMatchExact, gwapiv1.HeaderMatchRegularExpression}))
		}
	}
	return errs
}

// validateHeaderValue checks a value matched exactly against a header:
// 1 to 4096 characters (the CRD) without control characters, which no HTTP
// header value can carry.
func validateHeaderValue(v string, p *field.Path) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "")}
	case len(v) > maxValueLen:
		return field.ErrorList{field.TooLong(p, v, maxValueLen)}
	case strings.ContainsFunc(v, unicode.IsControl):
		return field.ErrorList{field.Invalid(p, v, msgControlCharacters)}
	}
	return nil
}

// validateRegex checks a RegularExpression header match value. Envoy
// matches it with RE2, whose syntax Go's regexp package implements.
func validateRegex(v string, p *field.Path) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "")}
	case len(v) > maxValueLen:
		return field.ErrorList{field.TooLong(p, v, maxValueLen)}
	}
	if _, err := regexp.Compile(v); err != nil {
		return field.ErrorList{field.Invalid(p, v, "must be an RE2 regular expression: "+err.Error())}
	}
	return nil
}

func validateBackends(backends []Backend, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case len(backends) == 0:
		return field.ErrorList{field.Required(p, "at least one backend is required")}
	case len(backends) > maxBackends:
		errs = append(errs, field.TooMany(p, len(backends), maxBackends))
	}
	for j, b := range backends {
		bp := p.Index(j)
		if b.Provider == "" {
			errs = append(errs, field.Required(bp.Child("provider"), ""))
		} else {
			errs = append(errs, dns1123Subdomain(b.Provider, bp.Child("provider"))...)
		}
		if b.Namespace != "" {
			errs = append(errs, dns1123Label(b.Namespace, bp.Child("namespace"))...)
		}
		if b.Weight != nil {
			switch w := *b.Weight; {
			case w < 0:
				errs = append(errs, field.Invalid(bp.Child("weight"), w, "must be greater than or equal to 0"))
			case w > maxWeight:
				errs = append(errs, field.Invalid(bp.Child("weight"), w,
					fmt.Sprintf("must be less than or equal to %d, the Gateway API's limit for backend weights", maxWeight)))
			}
		}
		// The CRD declares priority as format int32.
		if b.Priority != nil && *b.Priority > math.MaxInt32 {
			errs = append(errs, field.Invalid(bp.Child("priority"), int64(*b.Priority),
				fmt.Sprintf("must be less than or equal to %d", math.MaxInt32)))
		}
		if strings.ContainsFunc(b.ModelNameOverride, unicode.IsControl) {
			errs = append(errs, field.Invalid(bp.Child("modelNameOverride"), b.ModelNameOverride, msgControlCharacters))
		}
	}
	return errs
}

func validateTimeouts(t Timeouts, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	request, reqOK := parseDuration(t.Request)
	if !reqOK {
		errs = append(errs, field.Invalid(p.Child("request"), t.Request, msgDuration))
	}
	backend, beOK := parseDuration(t.BackendRequest)
	if !beOK {
		errs = append(errs, field.Invalid(p.Child("backendRequest"), t.BackendRequest, msgDuration))
	}
	// The CRD's rule: !(has(request) && has(backendRequest) &&
	// request != 0s && backendRequest > request).
	if reqOK && beOK && t.Request != "" && t.BackendRequest != "" && request != 0 && backend > request {
		errs = append(errs, field.Invalid(p.Child("backendRequest"), t.BackendRequest, msgBackendRequest))
	}
	return errs
}

// parseDuration parses an optional Gateway API duration. Its syntax is a
// strict subset of Go's, so time.ParseDuration gives its value.
func parseDuration(s string) (time.Duration, bool) {
	if s == "" {
		return 0, true
	}
	if !durationPattern.MatchString(s) {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

func validateCosts(costs []LLMRequestCost, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(costs) > maxCosts {
		errs = append(errs, field.TooMany(p, len(costs), maxCosts))
	}
	keys := make(map[string]bool, len(costs))
	for i, c := range costs {
		cp := p.Index(i)
		switch {
		case c.MetadataKey == "":
			errs = append(errs, field.Required(cp.Child("metadataKey"), ""))
		case keys[c.MetadataKey]:
			errs = append(errs, field.Duplicate(cp.Child("metadataKey"), c.MetadataKey))
		}
		keys[c.MetadataKey] = true
		switch {
		case c.Type == "":
			errs = append(errs, field.Required(cp.Child("type"), ""))
		case !slices.Contains(costTypes, c.Type):
			errs = append(errs, field.NotSupported(cp.Child("type"), c.Type, costTypes))
		case c.Type == aigv1b1.LLMRequestCostTypeCEL && c.CEL == "":
			errs = append(errs, field.Required(cp.Child("cel"), "cel is required when type is CEL"))
		case c.Type != aigv1b1.LLMRequestCostTypeCEL && c.CEL != "":
			errs = append(errs, field.Forbidden(cp.Child("cel"), "cel is only used when type is CEL"))
		}
	}
	return errs
}

func dns1123Subdomain(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func dns1123Label(v string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

// headerType is the match type the API server stores for an unset one.
func headerType(t gwapiv1.HeaderMatchType) gwapiv1.HeaderMatchType {
	if t == "" {
		return gwapiv1.HeaderMatchExact
	}
	return t
}

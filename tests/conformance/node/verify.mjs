// Verifies a batch of credentials a live Stapel issued, with libraries no one at Stapel wrote:
// did-jwt-vc (signature through the issuer's DID document), jose (signature with the JWK the
// kid names) and ajv (the credential against the JSON Schema its credentialSchema names).
//
// Input on stdin, JSON: {"base": served app, "bundledSchemas": {schema id: file},
// "credentials": [{"name", "profile", "alg", "issuer", "jwt"}]}.
// Output on stdout, JSON: {"results": {name: {"didJwtVc", "jose", "ajv"}}}, each
// {"outcome": "passed" | "failed" | "not_supported", "detail"}.
//
// The only part written here is transport: did:web is https-only, the served app is plain http
// on loopback, so the resolver below fetches /…/did.json from the served app. Every check is the
// libraries' own.

import { readFileSync } from 'node:fs'
import { verifyCredential } from 'did-jwt-vc'
import { Resolver } from 'did-resolver'
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose'
import Ajv2019 from 'ajv/dist/2019.js'
import addFormats from 'ajv-formats'

const input = JSON.parse(readFileSync(0, 'utf8'))
const base = new URL(input.base)

async function fetchJson(url, accept) {
  const response = await fetch(url, { headers: { accept } })
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`)
  return response.json()
}

// did:web:<host>[:path…] → https://<host>/<path>/did.json, fetched from the served app instead.
function didWebDocumentUrl(did) {
  const [host, ...path] = did.slice('did:web:'.length).split(':').map(decodeURIComponent)
  if (host !== base.host) throw new Error(`${did} is not served by the app under test`)
  const where = path.length ? `/${path.join('/')}/did.json` : '/.well-known/did.json'
  return new URL(where, base).href
}

const resolver = new Resolver({
  web: async (did) => {
    try {
      const didDocument = await fetchJson(didWebDocumentUrl(did), 'application/did+json')
      return {
        didDocument,
        didDocumentMetadata: {},
        didResolutionMetadata: { contentType: 'application/did+json' },
      }
    } catch (error) {
      return {
        didDocument: null,
        didDocumentMetadata: {},
        didResolutionMetadata: { error: 'notFound', message: String(error) },
      }
    }
  },
})

// did-jwt's verifiers: ES256, ES256K, ES256K-R, Ed25519, EdDSA. It has none for RS256.
const DID_JWT_ALGORITHMS = new Set(['ES256', 'ES256K', 'ES256K-R', 'Ed25519', 'EdDSA'])

async function withDidJwtVc(credential) {
  try {
    const verified = await verifyCredential(credential.jwt, resolver, {
      // did-jwt-vc's format check is the VC Data Model 1.1 one (it demands the 1.1 context):
      // applied to the vc-jwt-11 profile, left off for the VCDM 2.0 ones. The signature, the
      // DID resolution and the nbf/exp checks run for every profile.
      policies: { format: credential.profile === 'vc-jwt-11' },
    })
    if (verified.issuer !== credential.issuer) {
      return failed(`verified, but as issued by ${verified.issuer}, not ${credential.issuer}`)
    }
    return { outcome: 'passed', detail: `signed by ${verified.signer.id} (${verified.signer.type})` }
  } catch (error) {
    const message = String(error?.message ?? error)
    if (!DID_JWT_ALGORITHMS.has(credential.alg) && message.startsWith('not_supported')) {
      return { outcome: 'not_supported', detail: message }
    }
    return failed(message)
  }
}

const EXPECTED_TYP = { 'vc-jose': 'vc+jwt', 'ob3-jwt': 'JWT', 'vc-jwt-11': 'JWT' }

async function publicJwkOf(kid) {
  if (kid.startsWith('did:web:')) {
    const document = await fetchJson(didWebDocumentUrl(kid.split('#')[0]), 'application/did+json')
    const method = (document.verificationMethod ?? []).find((m) => m.id === kid)
    if (!method) throw new Error(`the DID document has no method ${kid}`)
    if (!method.publicKeyJwk) throw new Error(`${kid} is a ${method.type} without publicKeyJwk`)
    return method.publicKeyJwk
  }
  return fetchJson(kid, 'application/jwk+json')
}

async function withJose(credential) {
  try {
    const { kid, alg } = decodeProtectedHeader(credential.jwt)
    const key = await importJWK(await publicJwkOf(kid), alg)
    await jwtVerify(credential.jwt, key, {
      algorithms: [credential.alg],
      typ: EXPECTED_TYP[credential.profile],
      issuer: credential.issuer,
    })
    return { outcome: 'passed', detail: `verified with ${kid} (typ ${EXPECTED_TYP[credential.profile]})` }
  } catch (error) {
    return failed(`${error?.code ?? 'error'}: ${error?.message ?? error}`)
  }
}

// Strict, but for tuples: the 1EdTech schema's @context is an open 2-tuple (its first two
// contexts, then any), which strict mode would only warn about.
const ajv = new Ajv2019({ allErrors: true, strictTuples: false, loadSchema })
addFormats(ajv)
const validators = new Map()

async function loadSchema(id) {
  if (input.bundledSchemas[id]) return JSON.parse(readFileSync(input.bundledSchemas[id], 'utf8'))
  if (new URL(id).origin === base.origin) return fetchJson(id, 'application/schema+json')
  throw new Error(`no schema known at ${id}: neither bundled nor served by the app under test`)
}

async function validatorFor(id) {
  if (!validators.has(id)) validators.set(id, ajv.compileAsync(await loadSchema(id)))
  return validators.get(id)
}

async function withAjv(credential) {
  const payload = decodeJwt(credential.jwt)
  const document = credential.profile === 'vc-jwt-11' ? payload.vc : payload
  const schemaId = document?.credentialSchema?.[0]?.id
  if (typeof schemaId !== 'string') return failed('the credential names no credentialSchema')
  try {
    const validate = await validatorFor(schemaId)
    if (validate(document)) return { outcome: 'passed', detail: `valid against ${schemaId}` }
    const errors = validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`)
    return failed(`not valid against ${schemaId}: ${errors.slice(0, 8).join('; ')}`)
  } catch (error) {
    return failed(String(error?.message ?? error))
  }
}

function failed(detail) {
  return { outcome: 'failed', detail }
}

const results = {}
for (const credential of input.credentials) {
  results[credential.name] = {
    didJwtVc: await withDidJwtVc(credential),
    jose: await withJose(credential),
    ajv: await withAjv(credential),
  }
}
process.stdout.write(JSON.stringify({ results }, null, 2) + '\n')

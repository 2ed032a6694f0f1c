// A wallet picks a credential up from a live Stapel server, with a wallet library no one at
// Stapel wrote (@openid4vc/openid4vci), then checks what it received on its own: the issuer's
// signature with the key from its did:web document, the binding to the wallet's key, and the
// credential's status in its Bitstring Status List.
//
// Usage: node pickup.mjs <openid-credential-offer URI> <tx_code>
// Prints one JSON object: per configuration the credential, its payload and the checks.
// Any failure ends the process with a non-zero exit code and the reason on stderr.
import { createHash, getRandomValues } from "node:crypto";
import { gunzipSync } from "node:zlib";

import { clientAuthenticationAnonymous } from "@openid4vc/oauth2";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import { setGlobalConfig } from "@openid4vc/utils";
import * as jose from "jose";

const [offerUri, txCode] = process.argv.slice(2);
if (!offerUri || !txCode) {
  console.error("usage: node pickup.mjs <offer URI> <tx_code>");
  process.exit(2);
}
// The test server is a loopback process without TLS.
setGlobalConfig({ allowInsecureUrls: true });

const holderAlg = "ES256";
const holder = await jose.generateKeyPair(holderAlg, { extractable: true });
const holderJwk = await jose.exportJWK(holder.publicKey);

const client = new Openid4vciClient({
  callbacks: {
    fetch,
    generateRandom: (length) => getRandomValues(new Uint8Array(length)),
    hash: (data, alg) => new Uint8Array(createHash(alg.replace("-", "").toLowerCase()).update(data).digest()),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== "jwk") throw new Error(`unexpected signer ${signer.method}`);
      const jwt = await new jose.SignJWT(payload).setProtectedHeader(header).sign(holder.privateKey);
      return { jwt, signerJwk: signer.publicJwk };
    },
  },
});

const offer = await client.resolveCredentialOffer(offerUri);
const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer,
  issuerMetadata,
  txCode,
});

const results = {};
for (const configurationId of offer.credential_configuration_ids) {
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
  const { jwt: proof } = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId: configurationId,
    nonce,
    signer: { method: "jwk", alg: holderAlg, publicJwk: holderJwk },
  });
  const response = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId,
    proofs: { jwt: [proof] },
  });
  const body = response.credentialResponse;
  const credential = body.credentials[0].credential;
  results[configurationId] = {
    format: issuerMetadata.credentialIssuer.credential_configurations_supported[configurationId].format,
    credential,
    notification_id: body.notification_id,
    checks: await verify(credential),
  };
  await client.sendNotification({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    notification: { notificationId: body.notification_id, event: "credential_accepted" },
  });
}
console.log(JSON.stringify({ holder_did: didJwk(holderJwk), offer, results }));

function didJwk(jwk) {
  const members = Object.fromEntries(["crv", "kty", "x", "y"].filter((k) => k in jwk).map((k) => [k, jwk[k]]));
  return "did:jwk:" + Buffer.from(JSON.stringify(members)).toString("base64url");
}

// did:web resolves over https; the test server speaks http on loopback.
function didWebUrl(did) {
  const [, , host, ...path] = did.split(":");
  return `http://${decodeURIComponent(host)}/${path.join("/")}/did.json`;
}

function loopback(url) {
  return url.replace(/^https:/, "http:");
}

async function issuerKey(kid) {
  const did = kid.split("#")[0];
  const document = await (await fetch(didWebUrl(did))).json();
  if (document.id !== did) throw new Error(`DID document of ${document.id}, not ${did}`);
  const method = document.verificationMethod.find((m) => m.id === kid);
  if (!method || !document.assertionMethod.includes(kid)) throw new Error(`${kid} is no assertion method`);
  return { did, jwk: method.publicKeyJwk };
}

async function verifySigned(jwt) {
  const header = jose.decodeProtectedHeader(jwt);
  const { did, jwk } = await issuerKey(header.kid);
  const key = await jose.importJWK(jwk, header.alg);
  const { payload } = await jose.jwtVerify(jwt, key, { issuer: did });
  return { header, payload };
}

async function verify(jwt) {
  const { header, payload } = await verifySigned(jwt);
  // jwt_vc_json: the VCDM 1.1 credential is the vc claim; vc+jwt: the payload is the credential.
  const vc = payload.vc ?? payload;
  const subjectId = vc.credentialSubject.id;
  const expected = didJwk(holderJwk);
  if (subjectId !== expected) throw new Error(`bound to ${subjectId}, not to the wallet's ${expected}`);
  if (payload.vc && payload.sub !== expected) throw new Error(`sub is ${payload.sub}, not ${expected}`);
  const statuses = [];
  // One entry is an object, several a list (VC Data Model 2.0 allows both).
  const entries = [vc.credentialStatus].flat();
  for (const entry of entries) {
    const list = await (await fetch(loopback(entry.statusListCredential))).text();
    const { payload: listCredential } = await verifySigned(list);
    const bits = gunzipSync(Buffer.from(listCredential.credentialSubject.encodedList.slice(1), "base64url"));
    const index = Number(entry.statusListIndex);
    const set = (bits[index >> 3] >> (7 - (index % 8))) & 1;
    statuses.push({ purpose: entry.statusPurpose, set: Boolean(set) });
  }
  return { signature: "verified", issuer: header.kid.split("#")[0], typ: header.typ, holder: subjectId, statuses };
}

// A verifier and a holder from @sd-jwt/sd-jwt-vc (a library no one at Stapel wrote) take one of
// Stapel's Learning Credentials: the library verifies the issuer's signature (with the key of
// the x5c chain, checked here with node:crypto up to the trust anchor given, or with the issuer
// metadata's key), every disclosure and the Token Status List entry, then presents a chosen few
// disclosures with a Key Binding JWT signed by the holder's key.
//
// Usage: node present.mjs request.json, where request.json holds
//   { sd_jwt, issuer_jwk | anchor_pem, status_list_token, holder_private_jwk, disclose, nonce, aud }
// Prints { header, claims, presentation }. Any failure exits non-zero with the reason on stderr.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

import { ES256, digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";

const request = JSON.parse(readFileSync(process.argv[2], "utf8"));
const [jwt] = request.sd_jwt.split("~");
const header = JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString("utf8"));

function leafKeyOfChain(x5c, anchorPem) {
  const chain = x5c.map((der) => new X509Certificate(Buffer.from(der, "base64")));
  const anchor = new X509Certificate(anchorPem);
  const now = new Date();
  for (const [position, certificate] of chain.entries()) {
    if (new Date(certificate.validFrom) > now || new Date(certificate.validTo) < now) {
      throw new Error(`certificate ${position} of x5c is not valid now`);
    }
    const issuer = chain[position + 1] ?? anchor;
    if (!certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey)) {
      throw new Error(`certificate ${position} of x5c is not issued by the next one`);
    }
  }
  return chain[0].publicKey.export({ format: "jwk" });
}

const issuerJwk = header.x5c ? leafKeyOfChain(header.x5c, request.anchor_pem) : request.issuer_jwk;
if (header.alg !== "ES256") throw new Error(`this script checks ES256 issuers, not ${header.alg}`);
const verifier = await ES256.getVerifier(issuerJwk);
const holder = new SDJwtVcInstance({
  hasher: digest,
  hashAlg: "sha-256",
  saltGenerator: generateSalt,
  verifier,
  kbSigner: await ES256.getSigner(request.holder_private_jwk),
  kbSignAlg: "ES256",
  statusListFetcher: async () => request.status_list_token,
});

const verified = await holder.verify(request.sd_jwt);
const claims = await holder.getClaims(request.sd_jwt);
const frame = Object.fromEntries(request.disclose.map((name) => [name, true]));
const presentation = await holder.present(request.sd_jwt, frame, {
  kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: request.aud, nonce: request.nonce } },
});
console.log(JSON.stringify({ header: verified.header, claims, presentation }));

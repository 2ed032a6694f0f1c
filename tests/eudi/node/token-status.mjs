// Reads one entry of a served Token Status List with @sd-jwt/jwt-status-list, as a verifier of
// an SD-JWT VC would: fetch the list URI, check the media type and typ, decompress, look up idx.
// Usage: node token-status.mjs <uri> <idx>; prints one JSON object.
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";

const [uri, idx] = process.argv.slice(2);
const response = await fetch(uri);
if (response.status !== 200) {
  throw new Error(`GET ${uri} answered ${response.status}`);
}
const jwt = await response.text();
const header = JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString("utf8"));
const payload = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
const list = getListFromStatusListJWT(jwt);
console.log(
  JSON.stringify({
    contentType: response.headers.get("content-type"),
    typ: header.typ,
    sub: payload.sub,
    bits: list.getBitsPerStatus(),
    status: list.getStatus(Number(idx)),
  }),
);

import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A key and a certificate for `127.0.0.1`, in PEM. */
export interface SelfSignedCertificate {
  readonly key: string
  readonly cert: string
}

/**
 * A fresh self-signed certificate for `127.0.0.1` (made by `openssl`), for a `wss://` simulator
 * (`startGatewaySimulator(behaviour, { tls })`) that clients refuse unless they accept insecure TLS.
 */
export const selfSignedCertificate = (): SelfSignedCertificate => {
  const dir = mkdtempSync(join(tmpdir(), "mc-tls-"))
  try {
    const key = join(dir, "key.pem")
    const cert = join(dir, "cert.pem")
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1"
    ], { stdio: "ignore" })
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

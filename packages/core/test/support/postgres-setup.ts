// Setup of the "core on Postgres" run: each test file gets one database, dropped when the file is done.
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { afterAll } from "vitest"

afterAll(closeSharedTestDatabase)

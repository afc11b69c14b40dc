import { TestKit } from "@mission-control/core/testing"
import { repositoryContract } from "./contract/repositoryContract.js"

repositoryContract("in-memory", () => TestKit.layer())

output "state_bucket" {
  description = "Pass to terraform init in envs/<env>: -backend-config=\"bucket=<this>\"."
  value       = aws_s3_bucket.state.bucket
}

output "ecr_repository_url" {
  description = "Where the pipeline pushes the image."
  value       = aws_ecr_repository.cdd.repository_url
}

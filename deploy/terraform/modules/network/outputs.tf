output "vpc_id" {
  description = "Id of the VPC."
  value       = aws_vpc.this.id
}

output "cidr_block" {
  description = "CIDR range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (load balancers and NAT gateways only)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, database, interface endpoints)."
  value       = aws_subnet.private[*].id
}

output "gateway_prefix_list_ids" {
  description = "Prefix lists of the S3 and DynamoDB gateway endpoints, by service."
  value       = { for k, e in aws_vpc_endpoint.gateway : k => e.prefix_list_id }
}
